"""Attestation key enrolment: trust a device's AK only after it proves the AK lives next to its EK."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.attestation.enrolment import (
    DEFAULT_CHALLENGE_TTL,
    EnrolledKey,
    EnrolmentRejected,
    check_attestation_key,
)
from domain.attestation.marshal import WireError
from domain.attestation.tpm_public import ObjectAttr, PublicArea, parse_public, tpm_name
from domain.devices import Device
from domain.errors import AttestationFailed, DeviceNotFound
from ports.attestation import AkDecoder, AttestationRepository, CredentialChallenger, EkCertificateVerifier
from ports.clock import Clock

SECRET_BYTES = 32


@dataclass(frozen=True)
class EnrolmentChallenge:
    """Sent to the device: it recovers the secret with TPM2_ActivateCredential(AK, EK) and returns it."""

    device_id: str
    ak_name: bytes
    credential_blob: bytes
    encrypted_secret: bytes
    expires_at: datetime


class AkEnrolment:
    def __init__(
        self,
        repo: AttestationRepository,
        challenger: CredentialChallenger,
        decode_ak: AkDecoder,
        clock: Clock,
        *,
        ek_verifier: EkCertificateVerifier | None = None,
        challenge_ttl: timedelta = DEFAULT_CHALLENGE_TTL,
    ) -> None:
        self._repo, self._challenger, self._decode_ak, self._clock = repo, challenger, decode_ak, clock
        self._ek_verifier = ek_verifier
        self._ttl = challenge_ttl

    async def begin_enrolment(
        self, device_id: str, ek_public: bytes, ak_public: bytes, ek_certificate: bytes | None = None
    ) -> EnrolmentChallenge:
        """Check the AK, then challenge the device; a new enrolment replaces the device's previous AK."""
        await self._tpm_device(device_id)
        self.check_keys(ek_public, ak_public, ek_certificate)
        try:
            name = tpm_name(ak_public)
            key = self._decode_ak(ak_public)
            secret = secrets.token_bytes(SECRET_BYTES)
            blob, encrypted = self._challenger.make_credential(ek_public, name, secret)
        except ValueError as exc:
            raise EnrolmentRejected(f"Enrolment rejected: {exc}") from exc
        now = self._clock.now()
        record = EnrolledKey(
            device_id, key, bytes(ak_public), bytes(ek_public), ek_certificate, enrolled_at=now
        )
        expires_at = record.open_challenge(secret, now, self._ttl)
        await self._repo.save_key(record)
        return EnrolmentChallenge(device_id, name, blob, encrypted, expires_at)

    def check_keys(self, ek_public: bytes, ak_public: bytes, ek_certificate: bytes | None = None) -> None:
        """Everything about the keys that can be refused before anything is stored."""
        check_attestation_key(_parse(ak_public, "attestation key"))
        ek_area = _parse(ek_public, "endorsement key")
        if not (ek_area.has(ObjectAttr.RESTRICTED) and ek_area.has(ObjectAttr.DECRYPT)):
            raise EnrolmentRejected("The endorsement key must be a restricted decryption key")
        if self._ek_verifier is not None:
            try:
                self._ek_verifier.verify(ek_public, ek_certificate)
            except ValueError as exc:
                raise EnrolmentRejected(f"Enrolment rejected: {exc}") from exc

    async def complete_enrolment(self, device_id: str, answer: bytes) -> EnrolledKey:
        await self._tpm_device(device_id)
        record = await self._repo.get_key(device_id)
        if record is None:
            raise EnrolmentRejected(f"No enrolment in progress for {device_id}")
        try:
            record.answer(answer, self._clock.now())
        finally:
            await self._repo.save_key(record)  # the challenge is spent even when the answer is wrong
        return record

    async def _tpm_device(self, device_id: str) -> Device:
        device = await self._repo.device(device_id)
        if device is None or device.decommissioned:
            raise DeviceNotFound(device_id)
        if not device.tpm_enabled:
            raise AttestationFailed(
                f"Device {device_id} has no TPM (tpm_enabled is false), "
                "so it cannot enrol an attestation key",
                details={"device_id": device_id},
            )
        return device


def _parse(public: bytes, what: str) -> PublicArea:
    try:
        return parse_public(public)
    except WireError as exc:
        raise EnrolmentRejected(f"The {what} is not a valid TPM2B_PUBLIC: {exc}") from exc
