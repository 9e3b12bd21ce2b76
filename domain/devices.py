"""Devices and the telemetry samples they report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import ValidationFailed

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class Platform(StrEnum):
    ATLAS = "atlas"
    HISILICON = "hisilicon"


class DeviceStatus(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"
    DEGRADED = "degraded"


class AttestationState(StrEnum):
    """Outcome of the device's latest attestation, denormalised onto the device row."""

    UNKNOWN = "unknown"
    SUCCESS = "success"
    FAILED = "failed"


# The TEE each platform family ships with; reported in the device's security section.
TEE_TYPES = {Platform.ATLAS: "Ascend TEE", Platform.HISILICON: "iTrustee (TrustZone)"}

# Fields an operator may change after registration (PATCH).
MUTABLE_FIELDS = frozenset(
    {"name", "location", "model", "cores", "memory_gb", "firmware_version", "tee_enabled", "tpm_enabled"}
)


# Above these a heartbeat makes an online device "degraded". Ascend NPUs throttle near 95 °C, so Atlas
# boards get a higher temperature limit than HiSilicon SoCs in fanless enclosures.
DEGRADED_LIMITS = {
    Platform.ATLAS: {"cpu_usage": 90.0, "memory_usage": 90.0, "temperature": 85.0},
    Platform.HISILICON: {"cpu_usage": 90.0, "memory_usage": 90.0, "temperature": 80.0},
}
MISSED_HEARTBEATS_OFFLINE = 3


def check_device_id(device_id: str) -> str:
    if not DEVICE_ID_PATTERN.match(device_id):
        raise ValidationFailed(
            "Device id must be 1-64 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        )
    return device_id


@dataclass(eq=False)
class DeviceRecord:
    """A device's data as stored and as listed: the read side builds these without the ORM or checks."""

    id: str
    name: str
    platform: Platform
    location: str | None = None
    model: str | None = None
    cores: int | None = None
    memory_gb: int | None = None
    firmware_version: str | None = None
    tee_enabled: bool = False
    tpm_enabled: bool = False
    status: DeviceStatus = DeviceStatus.UNKNOWN
    last_heartbeat: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Latest telemetry, copied from the newest heartbeat so a fleet listing reads one row per device.
    cpu_usage: float | None = None
    memory_usage: float | None = None
    temperature: float | None = None
    uptime_seconds: int | None = None
    attestation_status: AttestationState = AttestationState.UNKNOWN
    decommissioned_at: datetime | None = None
    # Reported by the device's agent (heartbeat facts): the TEE it found, NPU ids, driver version ...
    tee_type: str | None = None
    capabilities: dict[str, Any] | None = None

    @property
    def decommissioned(self) -> bool:
        return self.decommissioned_at is not None

    @property
    def tee_in_use(self) -> str | None:
        """The TEE the device reported, else its platform family's; None without a TEE."""
        return (self.tee_type or TEE_TYPES[self.platform]) if self.tee_enabled else None

    @property
    def tpm_attested(self) -> bool:
        return self.tpm_enabled and self.attestation_status is AttestationState.SUCCESS


@dataclass(eq=False)
class Device(DeviceRecord):
    """The device aggregate: validated on creation, changed only through its methods."""

    def __post_init__(self) -> None:
        check_device_id(self.id)
        self._check_texts()
        self.platform = Platform(self.platform)
        self.status = DeviceStatus(self.status)
        self.attestation_status = AttestationState(self.attestation_status)

    def apply_changes(self, changes: dict[str, Any], now: datetime) -> None:
        unknown = set(changes) - MUTABLE_FIELDS
        if unknown:
            raise ValidationFailed(f"Fields cannot be changed: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(self, name, value)
        self._check_texts()
        self.updated_at = now

    def _check_texts(self) -> None:
        if not self.name or not self.name.strip():
            raise ValidationFailed("name must not be empty")
        for name in ("location", "model", "firmware_version"):
            if getattr(self, name) == "":
                raise ValidationFailed(f"{name} must not be empty (omit it or send null)")

    def record_telemetry(self, sample: MetricSample) -> None:
        self.cpu_usage = sample.cpu_usage
        self.memory_usage = sample.memory_usage
        self.temperature = sample.temperature
        self.uptime_seconds = sample.uptime_seconds
        self.last_heartbeat = sample.timestamp

    def apply_facts(self, facts: DeviceFacts, now: datetime) -> dict[str, dict[str, Any]]:
        """Take what the device reports about itself; a fact it does not know (None) leaves the stored
        value. Returns ``{field: {"old": ..., "new": ...}}`` for every field that changed."""
        changes = {}
        for name in REPORTED_FACTS:
            new, old = getattr(facts, name), getattr(self, name)
            if new is not None and new != old:
                changes[name] = {"old": old, "new": new}
                setattr(self, name, new)
        if changes:
            self._check_texts()
            self.updated_at = now
        return changes

    def status_after(self, sample: MetricSample) -> DeviceStatus:
        """Online unless a threshold is exceeded or the latest attestation failed (then degraded)."""
        limits = DEGRADED_LIMITS[self.platform]
        exceeded = any((getattr(sample, name) or 0.0) > limit for name, limit in limits.items())
        if exceeded or self.attestation_status is AttestationState.FAILED:
            return DeviceStatus.DEGRADED
        return DeviceStatus.ONLINE

    def mark_offline(self, now: datetime) -> None:
        self.status = DeviceStatus.OFFLINE
        self.updated_at = now

    def decommission(self, now: datetime) -> None:
        self.decommissioned_at = now
        self.status = DeviceStatus.OFFLINE
        self.updated_at = now


# What an agent reports about its device in heartbeats (when it changes), and the device row takes over.
REPORTED_FACTS = (
    "model",
    "cores",
    "memory_gb",
    "firmware_version",
    "tee_enabled",
    "tee_type",
    "capabilities",
)


@dataclass(frozen=True)
class DeviceFacts:
    """Facts the device reports about itself; None means the agent could not tell."""

    model: str | None = None
    cores: int | None = None
    memory_gb: int | None = None
    firmware_version: str | None = None
    tee_enabled: bool | None = None
    tee_type: str | None = None
    capabilities: dict[str, Any] | None = None


@dataclass(eq=False)
class MetricSample:
    device_id: str
    timestamp: datetime
    cpu_usage: float | None = None
    memory_usage: float | None = None
    temperature: float | None = None
    status: DeviceStatus | None = None
    uptime_seconds: int | None = None
    # Platform extras: Ascend NPU AI-core utilisation, NPU/HBM memory in use, board power.
    ai_core_usage: float | None = None
    npu_memory_used_mb: float | None = None
    power_w: float | None = None
    id: int | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("cpu_usage", "memory_usage", "ai_core_usage"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 100.0:
                raise ValidationFailed(f"{name} must be a percentage between 0 and 100")
        if self.temperature is not None and not -273.15 <= self.temperature <= 1000.0:
            raise ValidationFailed("temperature must be a Celsius value between -273.15 and 1000")
        for name in ("uptime_seconds", "npu_memory_used_mb", "power_w"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValidationFailed(f"{name} must not be negative")
