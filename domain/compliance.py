"""Compliance scoring: one rule, here and in the README.

Score (0-100) = sum of the weights of the checks a device passes:
  tpm_bound          25  TPM present and its attestation key activated (bound to that TPM)
  attested           30  latest attestation succeeded and is younger than the maximum age
  firmware_approved  15  a reference policy exists for the device or for its model + firmware version
  tee                15  TEE enabled
  key_sealed         15  at least one active key sealed to the device's TPM
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WEIGHTS = {"tpm_bound": 25, "attested": 30, "firmware_approved": 15, "tee": 15, "key_sealed": 15}


@dataclass(frozen=True)
class ComplianceFacts:
    device_id: str
    tee_enabled: bool
    tpm_enabled: bool
    ak_enrolled: bool
    ak_activated: bool
    last_attestation_ok: bool | None  # None: never attested
    last_attestation_at: datetime | None
    firmware_approved: bool
    sealed: bool


@dataclass(frozen=True)
class ComplianceReport:
    device_id: str
    tee_status: str
    tpm_status: str
    encryption_status: str
    compliance_score: int
    last_check: datetime | None
    failing: tuple[str, ...]


def tpm_status(facts: ComplianceFacts) -> str:
    if not facts.tpm_enabled:
        return "absent"
    if facts.ak_activated:
        return "active"
    return "enrolling" if facts.ak_enrolled else "not_enrolled"


def assess(facts: ComplianceFacts, now: datetime, max_age: timedelta) -> ComplianceReport:
    fresh = facts.last_attestation_at is not None and now - facts.last_attestation_at <= max_age
    passed = {
        "tpm_bound": facts.tpm_enabled and facts.ak_activated,
        "attested": bool(facts.last_attestation_ok) and fresh,
        "firmware_approved": facts.firmware_approved,
        "tee": facts.tee_enabled,
        "key_sealed": facts.sealed,
    }
    return ComplianceReport(
        device_id=facts.device_id,
        tee_status="enabled" if facts.tee_enabled else "disabled",
        tpm_status=tpm_status(facts),
        encryption_status="enabled" if facts.sealed else "disabled",
        compliance_score=sum(WEIGHTS[name] for name, ok in passed.items() if ok),
        last_check=facts.last_attestation_at,
        failing=tuple(name for name, ok in passed.items() if not ok),
    )
