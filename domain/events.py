"""Things that happened, published by use cases after they commit (alerts and live updates listen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.devices import MetricSample


@dataclass(frozen=True)
class Event:
    device_id: str
    at: datetime

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class SampleRecorded(Event):
    """A heartbeat's newest sample; ``platform`` picks the thresholds that apply."""

    sample: MetricSample
    platform: str
    status: str


@dataclass(frozen=True)
class DeviceStatusChanged(Event):
    old: str
    new: str


@dataclass(frozen=True)
class AttestationRecorded(Event):
    status: str  # success | failed
    reasons: tuple[str, ...]
    tpm_latency_seconds: float | None = None  # challenge issued -> verdict
    failed_events: tuple[
        dict[str, Any], ...
    ] = ()  # event_policy_mismatch: rule, event, pcr, type, expected, seen


@dataclass(frozen=True)
class CommandChanged(Event):
    command_id: int
    command: str
    status: str  # the new lifecycle state
    message: str | None = None


@dataclass(frozen=True)
class RolloutChanged(Event):
    """A rollout moved (``device_id`` empty) or one of its devices did (``device_state`` set)."""

    rollout_id: int
    change: str  # created | started | paused | resumed | canceled | aborted | completed | phase | device
    state: str  # the rollout's state
    phase: int
    firmware_version: str
    device_state: str | None = (
        None  # pending | in_flight | installed | verifying | succeeded | failed | canceled
    )
    reason: str | None = None  # why the rollout aborted, or why the device failed
