"""What the device agent reads from the hardware it runs on (Atlas via npu-smi, HiSilicon via sysfs, Linux)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PlatformFacts:
    platform: str  # "atlas" | "hisilicon" | "linux"
    model: str | None
    cores: int | None
    memory_gb: int | None
    firmware_version: str | None
    tee_enabled: bool
    tee_type: str | None = None  # the TEE found (iTrustee, OP-TEE ...), None without one
    extra: dict[str, Any] = field(default_factory=dict)  # capabilities: NPU ids, driver version, SoC ids ...


@dataclass(frozen=True)
class PlatformMetrics:
    cpu_usage: float | None
    memory_usage: float | None
    temperature: float | None
    uptime_seconds: int | None
    ai_core_usage: float | None = None
    npu_memory_used_mb: float | None = None
    power_w: float | None = None
    npu_health: str | None = None


class PlatformProbe(Protocol):
    name: str

    def facts(self) -> PlatformFacts: ...

    def metrics(self) -> PlatformMetrics: ...

    def diagnostics(self) -> dict[str, Any]:
        """A diagnostic report: disk, memory, thermal, NPU health, recent errors."""
        ...
