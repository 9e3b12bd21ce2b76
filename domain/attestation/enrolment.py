"""AK enrolment: which attestation keys are acceptable, and the challenge that binds one to an EK."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.attestation.evidence import AttestationKey, HashAlg, SigScheme
from domain.attestation.tpm_public import TPM_ALG_NULL, TPM_ALG_RSA, EccCurve, ObjectAttr, PublicArea
from domain.errors import DomainError

DEFAULT_CHALLENGE_TTL = timedelta(minutes=5)
MIN_RSA_BITS = 2048
REQUIRED_ATTRIBUTES = (
    ObjectAttr.RESTRICTED,
    ObjectAttr.SIGN,
    ObjectAttr.FIXED_TPM,
    ObjectAttr.FIXED_PARENT,
    ObjectAttr.SENSITIVE_DATA_ORIGIN,
)
STRONG_HASHES = frozenset({HashAlg.SHA256, HashAlg.SHA384, HashAlg.SHA512})
_RSA_SCHEMES = {TPM_ALG_NULL, SigScheme.RSASSA, SigScheme.RSAPSS}
_ECC_SCHEMES = {TPM_ALG_NULL, SigScheme.ECDSA}


class EnrolmentRejected(DomainError):
    code = "ENROLMENT_REJECTED"


def attestation_key_problems(area: PublicArea) -> list[str]:
    """Why ``area`` cannot serve as an AK: a restricted signing key that never leaves its TPM."""
    problems = [f"{str(flag.name).lower()} must be set" for flag in REQUIRED_ATTRIBUTES if not area.has(flag)]
    if area.has(ObjectAttr.DECRYPT):
        problems.append("decrypt must be clear")
    if area.name_alg not in STRONG_HASHES:
        problems.append("name algorithm must be SHA-256 or stronger")
    if area.scheme != TPM_ALG_NULL and area.scheme_hash not in STRONG_HASHES:
        problems.append("signing hash must be SHA-256 or stronger")
    if area.type == TPM_ALG_RSA:
        if area.key_bits < MIN_RSA_BITS or len(area.modulus) * 8 != area.key_bits:
            problems.append(f"RSA keys need at least {MIN_RSA_BITS} bits")
        if area.scheme not in _RSA_SCHEMES:
            problems.append("RSA attestation keys sign with RSASSA or RSAPSS")
    else:
        if area.curve != EccCurve.NIST_P256 or len(area.x) != 32 or len(area.y) != 32:
            problems.append("ECC attestation keys must be on NIST P-256")
        if area.scheme not in _ECC_SCHEMES:
            problems.append("ECC attestation keys sign with ECDSA")
    return problems


def check_attestation_key(area: PublicArea) -> None:
    problems = attestation_key_problems(area)
    if problems:
        raise EnrolmentRejected(
            "Attestation key rejected: " + "; ".join(problems), details={"problems": problems}
        )


def _digest(secret: bytes) -> bytes:
    return hashlib.sha256(secret).digest()


@dataclass(eq=False)
class EnrolledKey:
    """A device's AK. Trusted (``activated``) only once the device proved ActivateCredential."""

    device_id: str
    key: AttestationKey
    ak_public: bytes
    ek_public: bytes
    ek_certificate: bytes | None = None
    activated: bool = False
    # SHA-256 of the outstanding challenge secret: a leaked row does not reveal the answer.
    challenge_digest: bytes | None = None
    challenge_expires_at: datetime | None = None
    enrolled_at: datetime | None = None
    activated_at: datetime | None = None

    def open_challenge(
        self, secret: bytes, now: datetime, ttl: timedelta = DEFAULT_CHALLENGE_TTL
    ) -> datetime:
        """Expect ``secret`` back until the returned moment."""
        self.challenge_digest = _digest(secret)
        self.challenge_expires_at = now + ttl
        return self.challenge_expires_at

    def answer(self, secret: bytes, now: datetime) -> None:
        """One attempt per challenge: it is spent whatever the outcome, so an answer cannot be replayed."""
        expected, expires_at = self.challenge_digest, self.challenge_expires_at
        self.challenge_digest = self.challenge_expires_at = None
        if expected is None:
            raise EnrolmentRejected(
                f"No credential challenge is outstanding for {self.device_id}: "
                "it was already answered or never issued"
            )
        if expires_at is not None and now >= expires_at:
            raise EnrolmentRejected("The credential challenge expired; start the enrolment again")
        if not hmac.compare_digest(_digest(secret), expected):
            raise EnrolmentRejected("Wrong answer to the credential challenge; start the enrolment again")
        self.activated = True
        self.activated_at = now
