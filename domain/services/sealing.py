"""Sealing keys to device TPMs (POST /security/seal) and listing a device's seals.

What is sealed: a fresh 32-byte key the server draws and forgets. It is the device's volume key
(e.g. a LUKS keyslot or an fscrypt master key for its data partition): the agent imports the blob
and unseals the key at boot, which works only on that device's TPM and only while the boot chain
measured into the policy's PCRs is the expected one. A tampered firmware or boot loader therefore
leaves the data unreadable, and a stolen disk is useless without that board. The server keeps the
blob (public material) to hand it out again, never the key: not in the database, logs or responses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from domain.access import Principal
from domain.attestation.evidence import HashAlg
from domain.attestation.policy import first_matching, scopes_for
from domain.devices import Device
from domain.errors import Conflict, DeviceNotFound, TeeNotAvailable, ValidationFailed
from domain.sealing import (
    NotEnrolled,
    PcrPolicy,
    Seal,
    SealedBlob,
    check_key_id,
    new_seal_id,
    parse_pcr_values,
    parse_policy,
    values_from_reference,
)
from ports.attestation import AttestationRepository
from ports.clock import Clock
from ports.queries import FleetQueries
from ports.sealing import SealMaker, SealRepository

KEY_BYTES = 32  # AES-256 / LUKS2 volume key size


class SealingService:
    def __init__(
        self,
        attestation: AttestationRepository,
        seals: SealRepository,
        maker: SealMaker,
        clock: Clock,
        *,
        new_key: Callable[[int], bytes] = secrets.token_bytes,
        views: FleetQueries | None = None,
    ) -> None:
        self._attestation, self._seals, self._maker, self._clock = attestation, seals, maker, clock
        self._new_key = new_key
        self._views = views  # a device's detail shows its seal status

    async def seal(
        self,
        principal: Principal,
        device_id: str,
        key_id: str,
        policy: str,
        pcr_values: Sequence[str] | None = None,
        *,
        bank: HashAlg | None = None,
        replace: bool = False,
    ) -> Seal:
        """Seal a new key for ``device_id`` under ``policy``; ``pcr_values`` omitted -> the device's
        reference policy. An active seal with the same key_id is a Conflict unless ``replace``."""
        check_key_id(key_id)
        pcrs = parse_policy(policy)
        device = await self._device(device_id)
        if not (device.tpm_enabled and device.tee_enabled):
            raise TeeNotAvailable(
                f"Device {device_id} needs both a TPM and a TEE enabled to hold a sealed key",
                details={"device_id": device_id},
            )
        enrolled = await self._attestation.get_key(device_id)
        if enrolled is None or not enrolled.activated or not enrolled.ek_public:
            raise NotEnrolled(
                f"Device {device_id} has not completed TPM enrolment: its EK is not proven",
                details={"device_id": device_id},
            )
        pcr_policy = await self._pcr_policy(device, pcrs, pcr_values, bank)
        existing = await self._seals.get_active(device_id, key_id)
        if existing is not None and not replace:
            raise Conflict(
                f"Device {device_id} already holds an active seal for key {key_id}; "
                "set replace to seal a new key",
                details={"device_id": device_id, "key_id": key_id},
            )
        try:
            # The key exists only inside this call: nothing keeps a reference to it afterwards.
            parts = self._maker.make_import_blob(
                enrolled.ek_public, pcr_policy.digest, self._new_key(KEY_BYTES)
            )
        except ValueError as exc:
            raise NotEnrolled(f"The enrolled EK of {device_id} cannot receive a sealed key: {exc}") from exc
        now = self._clock.now()
        seal = Seal(
            id=new_seal_id(),
            device_id=device_id,
            key_id=key_id,
            bank=pcr_policy.bank,
            pcr_values=pcr_policy.values,
            policy_digest=pcr_policy.digest,
            sealed_blob=SealedBlob(pcr_policy.bank, pcr_policy.pcrs, *parts).marshal(),
            created_at=now,
            created_by=principal.subject,
        )
        if existing is not None:
            existing.revoke(now)
        await self._seals.add(seal, replaces=existing)
        if self._views is not None:
            self._views.invalidate()  # its detail and the fleet's key figures
        return seal

    async def list_seals(self, device_id: str) -> list[Seal]:
        await self._device(device_id)
        return await self._seals.list_for_device(device_id)

    async def active_seals(self, device_id: str) -> list[Seal]:
        """What the device's agent should import and unseal."""
        return [seal for seal in await self.list_seals(device_id) if seal.active]

    async def _device(self, device_id: str) -> Device:
        device = await self._attestation.device(device_id)
        if device is None or device.decommissioned:
            raise DeviceNotFound(device_id)
        return device

    async def _pcr_policy(
        self, device: Device, pcrs: list[int], pcr_values: Sequence[str] | None, bank: HashAlg | None
    ) -> PcrPolicy:
        if pcr_values is not None:
            bank = HashAlg(bank or HashAlg.SHA256)
            return PcrPolicy(bank, parse_pcr_values(pcrs, pcr_values, bank))
        reference = first_matching([await self._attestation.get_policy(s) for s in scopes_for(device)])
        values, reference_bank = values_from_reference(pcrs, reference, device.id)
        if bank is not None and HashAlg(bank) != reference_bank:
            raise ValidationFailed(
                f"bank {HashAlg(bank).name} differs from the reference policy's "
                f"{reference_bank.name}; give pcr_values or omit bank"
            )
        return PcrPolicy(reference_bank, values)
