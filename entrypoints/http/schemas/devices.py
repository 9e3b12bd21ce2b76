"""Device request/response bodies. Response keys follow the API contract exactly (extra keys only added)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from domain.devices import DEVICE_ID_PATTERN, Device, DeviceRecord, DeviceStatus, Platform
from domain.metrics_history import MetricPoint, Resolution
from domain.uptime import Uptime

DeviceId = Annotated[
    str, Meta(pattern=DEVICE_ID_PATTERN.pattern, description="1-64 chars: letters, digits, . _ : -")
]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Name = Annotated[str, Meta(min_length=1, max_length=255, pattern=NO_NUL)]
Text = Annotated[str, Meta(min_length=1, max_length=255, pattern=NO_NUL)]
Cores = Annotated[int, Meta(ge=1, le=4096)]
MemoryGb = Annotated[int, Meta(ge=1, le=65536)]


class DeviceSummary(Struct):
    id: str
    name: str
    platform: Platform
    status: DeviceStatus
    cpu_usage: float | None
    memory_usage: float | None
    temperature: float | None
    uptime: int | None
    last_seen: datetime | None
    firmware_version: str | None
    tee_enabled: bool
    tpm_attestation: bool
    location: str | None
    model: str | None
    cores: int | None
    memory_gb: int | None

    @classmethod
    def of(cls, d: DeviceRecord) -> DeviceSummary:
        return cls(
            id=d.id,
            name=d.name,
            platform=d.platform,
            status=d.status,
            cpu_usage=d.cpu_usage,
            memory_usage=d.memory_usage,
            temperature=d.temperature,
            uptime=d.uptime_seconds,
            last_seen=d.last_heartbeat,
            firmware_version=d.firmware_version,
            tee_enabled=d.tee_enabled,
            tpm_attestation=d.tpm_attested,
            location=d.location,
            model=d.model,
            cores=d.cores,
            memory_gb=d.memory_gb,
        )


class DeviceList(Struct):
    devices: list[DeviceSummary]
    total: int
    limit: int
    offset: int


class DeviceMetrics(Struct):
    cpu_usage: float | None
    memory_usage: float | None
    temperature: float | None
    # Share of the last 24 h / 7 d the device was online (degraded counts); null if never seen.
    uptime_percent_24h: float | None = None
    uptime_percent_7d: float | None = None


class DeviceSecurity(Struct):
    tee_enabled: bool
    tee_type: str | None
    tpm_version: str | None
    tpm_attestation: bool
    seal_status: str


class DeviceHardware(Struct):
    cores: int | None
    memory_gb: int | None
    model: str | None
    capabilities: dict  # as the device's agent reports them (NPU ids, driver version ...); {} until then


class DeviceDetail(Struct):
    id: str
    name: str
    platform: Platform
    status: DeviceStatus
    metrics: DeviceMetrics
    security: DeviceSecurity
    hardware: DeviceHardware
    location: str | None
    firmware_version: str | None
    uptime: int | None
    last_seen: datetime | None
    attestation_status: str
    created_at: datetime | None
    updated_at: datetime | None
    decommissioned_at: datetime | None
    tags: list[str] | UnsetType = UNSET  # answered by a PATCH that sets them (GET /devices/{id}/tags)

    @classmethod
    def of(cls, d: DeviceRecord, seal_status: str, uptime: Uptime | None = None) -> DeviceDetail:
        percent = (uptime or Uptime.unknown()).percent
        return cls(
            id=d.id,
            name=d.name,
            platform=d.platform,
            status=d.status,
            metrics=DeviceMetrics(d.cpu_usage, d.memory_usage, d.temperature, percent["24h"], percent["7d"]),
            security=DeviceSecurity(
                tee_enabled=d.tee_enabled,
                tee_type=d.tee_in_use,
                tpm_version="2.0" if d.tpm_enabled else None,
                tpm_attestation=d.tpm_attested,
                seal_status=seal_status,
            ),
            hardware=DeviceHardware(d.cores, d.memory_gb, d.model, d.capabilities or {}),
            location=d.location,
            firmware_version=d.firmware_version,
            uptime=d.uptime_seconds,
            last_seen=d.last_heartbeat,
            attestation_status=d.attestation_status.value,
            created_at=d.created_at,
            updated_at=d.updated_at,
            decommissioned_at=d.decommissioned_at,
        )


class DeviceCreate(Struct, forbid_unknown_fields=True):
    id: DeviceId
    name: Name
    platform: Platform
    location: Text | None = None
    model: Text | None = None
    cores: Cores | None = None
    memory_gb: MemoryGb | None = None
    firmware_version: Text | None = None
    tee_enabled: bool = False
    tpm_enabled: bool = False

    def to_device(self) -> Device:
        return Device(**msgspec.structs.asdict(self))


class DeviceUpdate(Struct, forbid_unknown_fields=True):
    """Only the fields present are changed; ``null`` clears an optional field."""

    name: Name | UnsetType = UNSET
    location: Text | None | UnsetType = UNSET
    model: Text | None | UnsetType = UNSET
    cores: Cores | None | UnsetType = UNSET
    memory_gb: MemoryGb | None | UnsetType = UNSET
    firmware_version: Text | None | UnsetType = UNSET
    tee_enabled: bool | UnsetType = UNSET
    tpm_enabled: bool | UnsetType = UNSET
    tags: (
        Annotated[
            list[
                Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:=-]*$")]
            ],
            Meta(max_length=32),
        ]
        | UnsetType
    ) = UNSET  # replaces the device's tags

    def changes(self) -> dict:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not UNSET}


class HistoryPoint(Struct):
    """A raw sample, or a rollup bucket: timestamp = bucket start, values = averages, status null, plus
    the bucket's sample count and min/max (keys absent for raw samples)."""

    timestamp: datetime
    cpu_usage: float | None
    memory_usage: float | None
    temperature: float | None
    status: DeviceStatus | None
    uptime: int | None
    ai_core_usage: float | None
    npu_memory_used_mb: float | None
    power_w: float | None
    samples: int | UnsetType = UNSET
    cpu_usage_min: float | None | UnsetType = UNSET
    cpu_usage_max: float | None | UnsetType = UNSET
    memory_usage_min: float | None | UnsetType = UNSET
    memory_usage_max: float | None | UnsetType = UNSET
    temperature_min: float | None | UnsetType = UNSET
    temperature_max: float | None | UnsetType = UNSET

    @classmethod
    def of(cls, p: MetricPoint) -> HistoryPoint:
        ranges: dict[str, Any] = (
            {}
            if p.samples is None
            else {
                "samples": p.samples,
                "cpu_usage_min": p.cpu_usage_min,
                "cpu_usage_max": p.cpu_usage_max,
                "memory_usage_min": p.memory_usage_min,
                "memory_usage_max": p.memory_usage_max,
                "temperature_min": p.temperature_min,
                "temperature_max": p.temperature_max,
            }
        )
        return cls(
            timestamp=p.timestamp,
            cpu_usage=p.cpu_usage,
            memory_usage=p.memory_usage,
            temperature=p.temperature,
            status=p.status,
            uptime=p.uptime_seconds,
            ai_core_usage=p.ai_core_usage,
            npu_memory_used_mb=p.npu_memory_used_mb,
            power_w=p.power_w,
            **ranges,
        )


class DeviceHistory(Struct):
    device_id: str
    history: list[HistoryPoint]
    limit: int
    offset: int
    resolution: Resolution  # the one used: "auto" is answered as raw, 1m or 1h
