"""A key sealed to one device's TPM under a PCR policy. The record keeps only public material:
the policy, its digest and the import blob; the key itself is never stored anywhere on the server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.attestation.evidence import HashAlg
from domain.errors import DomainError, ValidationFailed
from domain.sealing.pcr_policy import format_policy

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class SealStatus(StrEnum):
    ACTIVE = "active"  # the device can recover the key while its PCRs match
    REVOKED = "revoked"  # replaced or withdrawn; the blob still exists but is no longer handed out
    FAILED = "failed"  # the device reported that it could not import or unseal it


class NotEnrolled(DomainError):
    """Sealing needs the device's EK, proven by a completed (activated) AK enrolment."""

    code = "NOT_ENROLLED"


class UnsealFailed(DomainError):
    """Device side: the blob was not made for this TPM, was altered, or the PCR policy does not hold."""

    code = "UNSEAL_FAILED"


def check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.match(key_id):
        raise ValidationFailed(
            "key_id must be 1-128 characters of letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )
    return key_id


def device_seal_status(statuses: Iterable[SealStatus | str]) -> str:
    """A device's seal state as its detail reports it: "active" while it holds a usable sealed key,
    "revoked" when it had seals and none is usable any more (revoked, or failed to import), "none"
    when it never had one."""
    held = {SealStatus(s) for s in statuses}
    if SealStatus.ACTIVE in held:
        return "active"
    return "revoked" if held else "none"


def new_seal_id() -> str:
    return "seal-" + uuid.uuid4().hex


@dataclass(eq=False)
class Seal:
    id: str
    device_id: str
    key_id: str
    bank: HashAlg
    pcr_values: Mapping[int, bytes]  # expected values, ascending by PCR index
    policy_digest: bytes
    sealed_blob: bytes
    created_at: datetime
    created_by: str
    status: SealStatus = SealStatus.ACTIVE
    revoked_at: datetime | None = field(default=None)

    def __post_init__(self) -> None:
        self.bank = HashAlg(self.bank)
        self.status = SealStatus(self.status)
        self.pcr_values = dict(sorted(self.pcr_values.items()))

    @property
    def pcrs(self) -> tuple[int, ...]:
        return tuple(self.pcr_values)

    @property
    def policy(self) -> str:
        return format_policy(self.pcrs)

    @property
    def active(self) -> bool:
        return self.status is SealStatus.ACTIVE

    def revoke(self, now: datetime) -> None:
        self.status = SealStatus.REVOKED
        self.revoked_at = now

    def mark_failed(self) -> None:
        self.status = SealStatus.FAILED
