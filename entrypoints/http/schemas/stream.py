"""Live-stream messages: JSON objects told apart by ``type``."""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec import Struct

from adapters.live_stream import Lagged
from domain.alerts import AlertChanged
from domain.events import AttestationRecorded, CommandChanged, DeviceStatusChanged, Event, RolloutChanged
from entrypoints.http.schemas.alerts import AlertView
from entrypoints.http.schemas.attestation import FailedEventView


class Hello(Struct, tag_field="type", tag="hello"):
    """First message once authenticated: what this client will receive."""

    role: str
    types: list[str]


class DeviceStatusMessage(Struct, tag_field="type", tag="device_status"):
    device_id: str
    at: datetime
    old: str
    new: str


class AlertMessage(Struct, tag_field="type", tag="alert"):
    device_id: str
    at: datetime
    change: str  # raised | escalated | acknowledged | resolved
    alert: AlertView


class CommandMessage(Struct, tag_field="type", tag="command"):
    device_id: str
    at: datetime
    command_id: int
    command: str
    status: str
    message: str | None


class AttestationMessage(Struct, tag_field="type", tag="attestation"):
    device_id: str
    at: datetime
    status: str
    reasons: list[str]
    failed_events: list[FailedEventView] = []


class RolloutMessage(Struct, tag_field="type", tag="rollout"):
    """A rollout moved (``device_id`` null) or one of its devices did."""

    rollout_id: int
    at: datetime
    change: str
    state: str
    phase: int
    firmware_version: str
    device_id: str | None
    device_state: str | None
    reason: str | None


class LaggedMessage(Struct, tag_field="type", tag="lagged"):
    """This client fell behind and ``dropped`` events were skipped here: re-read state over REST."""

    dropped: int


class ErrorMessage(Struct, tag_field="type", tag="error"):
    error: str
    code: str
    status: int


_encoder = msgspec.json.Encoder()


def encode(message: Struct) -> bytes:
    return _encoder.encode(message)


def message_for(item: Event | Lagged) -> Struct:
    match item:
        case DeviceStatusChanged():
            return DeviceStatusMessage(item.device_id, item.at, item.old, item.new)
        case AlertChanged():
            return AlertMessage(item.device_id, item.at, item.change, AlertView.of(item.alert))
        case CommandChanged():
            return CommandMessage(
                item.device_id, item.at, item.command_id, item.command, item.status, item.message
            )
        case AttestationRecorded():
            return AttestationMessage(
                item.device_id,
                item.at,
                item.status,
                list(item.reasons),
                [FailedEventView(**f) for f in item.failed_events],
            )
        case RolloutChanged():
            return RolloutMessage(
                item.rollout_id,
                item.at,
                item.change,
                item.state,
                item.phase,
                item.firmware_version,
                item.device_id or None,
                item.device_state,
                item.reason,
            )
        case Lagged():
            return LaggedMessage(item.dropped)
    raise TypeError(f"no stream message for {type(item).__name__}")
