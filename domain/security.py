"""Fleet security figures (GET /metrics). Definitions, also in the README:

- total_devices: devices in the fleet (decommissioned ones excluded);
- secure_devices: devices with both a TEE and a TPM enabled;
- attestation_success: devices whose latest attestation succeeded and is younger than the maximum age;
- encryption_enabled: devices holding at least one active sealed key;
- seal_status: "active" when every TPM device holds a sealed key, "partial" when some do, "none" otherwise;
- device_binding: percentage (0-100, rounded down) of TPM devices whose attestation key is activated,
  i.e. cryptographically bound to that device's TPM.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SecurityCounts:
    total_devices: int
    secure_devices: int
    tpm_devices: int
    attested_fresh: int
    sealed_devices: int
    bound_devices: int


def seal_status(counts: SecurityCounts) -> str:
    if counts.tpm_devices and counts.sealed_devices >= counts.tpm_devices:
        return "active"
    return "partial" if counts.sealed_devices else "none"


def device_binding_percent(counts: SecurityCounts) -> int:
    return counts.bound_devices * 100 // counts.tpm_devices if counts.tpm_devices else 0
