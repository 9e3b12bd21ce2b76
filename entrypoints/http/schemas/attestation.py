"""Attestation bodies: the API contract's status shape plus reasons, and reference policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from domain.attestation.evidence import BANK_BY_NAME, HashAlg
from domain.attestation.policy import ReferencePolicy
from domain.attestation.verdict import AttestationVerdict
from domain.errors import ValidationFailed
from domain.measured_boot.policy import EventPolicy

BANKS = BANK_BY_NAME
BANK_NAMES = {alg: name for name, alg in BANKS.items()}
PcrHex = Annotated[str, Meta(pattern=r"^(0x)?[0-9a-fA-F]{40,128}$")]


def pcr_map(values) -> dict[str, str]:
    return {f"pcr_{index}": "0x" + value.hex() for index, value in sorted(values.items())}


class FailedEventView(Struct):
    """One failed event policy rule: the event it judged (null when missing), expected vs seen."""

    rule: str
    event: int | None
    pcr: int | None
    type: str | None
    expected: list[str]
    seen: str


class AttestationStatus(Struct):
    device_id: str
    tpm_version: str | None
    pcr_values: dict[str, str]
    attestation_status: str
    timestamp: datetime | None
    reasons: list[str]
    mismatched_pcrs: list[int]
    bank: str | None
    verifier: str | None
    reboot_observed: bool
    tpm_latency_seconds: float | None  # challenge issued -> verdict (null for answers pushed by the device)
    failed_events: list[FailedEventView] = []  # event_policy_mismatch
    event_log_error: str | None = None  # malformed_event_log: the fault and its byte offset

    @classmethod
    def of(cls, device_id: str, verdict: AttestationVerdict | None) -> AttestationStatus:
        if verdict is None:
            return cls(device_id, "2.0", {}, "unknown", None, [], [], None, None, False, None)
        return cls(
            device_id=device_id,
            tpm_version=verdict.tpm_version,
            pcr_values=pcr_map(verdict.pcr_values),
            attestation_status=verdict.status.value,
            timestamp=verdict.timestamp,
            reasons=list(verdict.reasons),
            mismatched_pcrs=list(verdict.mismatched_pcrs),
            bank=BANK_NAMES.get(verdict.bank),
            verifier=verdict.verifier,
            reboot_observed=verdict.reboot_observed,
            tpm_latency_seconds=verdict.tpm_latency_seconds,
            failed_events=[FailedEventView(**f) for f in verdict.failed_events],
            event_log_error=verdict.event_log_error,
        )


class PolicyBody(Struct, forbid_unknown_fields=True):
    pcrs: Annotated[dict[str, PcrHex], Meta(min_length=1, max_length=24)]
    bank: str = "sha256"

    def parsed(self) -> tuple[dict[int, bytes], HashAlg]:
        bank = BANKS.get(self.bank)
        if bank is None:
            raise ValidationFailed(f"bank must be one of {', '.join(BANKS)}")
        values: dict[int, bytes] = {}
        for key, text in self.pcrs.items():
            index = key.removeprefix("pcr_")
            if not index.isdigit() or not 0 <= int(index) <= 23:
                raise ValidationFailed(f"PCR key {key!r} must be 0-23 (or pcr_0-pcr_23)")
            value = bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))
            if len(value) != bank.digest_size:
                raise ValidationFailed(f"PCR {index} must be {bank.digest_size} bytes for {self.bank}")
            values[int(index)] = value
        return values, bank


class PolicyView(Struct):
    scope: dict[str, str]
    bank: str
    pcr_values: dict[str, str]
    updated_at: datetime | None

    @classmethod
    def of(cls, policy: ReferencePolicy) -> PolicyView:
        scope = {k: v for k, v in vars(policy.scope).items() if v is not None}
        return cls(
            scope, BANK_NAMES.get(policy.bank, str(policy.bank)), pcr_map(policy.pcrs), policy.updated_at
        )


class PolicyList(Struct):
    policies: list[PolicyView]


class SecurityMetrics(Struct):
    total_devices: int
    secure_devices: int
    attestation_success: int
    encryption_enabled: int
    seal_status: str
    device_binding: int
    # Mean over seen devices of their online share of the last 24 h / 7 d (recomputed every 5 minutes).
    uptime_percent_24h: float | None = None
    uptime_percent_7d: float | None = None


Digests = Annotated[
    list[Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{40,128}$")]], Meta(min_length=1, max_length=256)
]


class EventPolicyBody(Struct, forbid_unknown_fields=True):
    """Rules over a replayed boot event log; each optional, several allowed digests per rule (hex)."""

    boot_applications: Digests | None = None  # EV_EFI_BOOT_SERVICES_APPLICATION (PCR 4)
    firmware_blobs: Digests | None = None  # EV_EFI_PLATFORM_FIRMWARE_BLOB[2] (PCR 0)
    option_roms: Digests | None = None  # EV_EFI_BOOT_SERVICES_DRIVER on PCR 2
    secure_boot: bool | None = None
    pk: Digests | None = None  # SHA-256 of the variable's data
    kek: Digests | None = None
    db: Digests | None = None
    dbx: Digests | None = None
    separators: bool | None = None

    def document(self) -> dict:
        return {
            name: getattr(self, name) for name in self.__struct_fields__ if getattr(self, name) is not None
        }


class EventPolicyView(Struct):
    scope: dict[str, str]
    rules: dict[str, list[str] | bool]
    required_pcrs: list[int]
    updated_at: datetime | None

    @classmethod
    def of(cls, policy: EventPolicy) -> EventPolicyView:
        scope = {k: v for k, v in vars(policy.scope).items() if v is not None}
        return cls(scope, policy.as_dict(), list(policy.required_pcrs), policy.updated_at)


class EventPolicyList(Struct):
    policies: list[EventPolicyView]
