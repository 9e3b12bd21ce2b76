"""Events to JSON and back, for sharing them between processes (the Redis live channel)."""

from __future__ import annotations

import msgspec

from domain.alerts import AlertChanged
from domain.events import AttestationRecorded, CommandChanged, DeviceStatusChanged, Event, RolloutChanged

# What the live stream shows; heartbeat samples stay in the worker that received them.
RELAYED: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (DeviceStatusChanged, AlertChanged, CommandChanged, AttestationRecorded, RolloutChanged)
}


class _Envelope(msgspec.Struct):
    kind: str
    event: msgspec.Raw


_encoder = msgspec.json.Encoder()


def encode_event(event: Event) -> bytes:
    return _encoder.encode({"kind": type(event).__name__, "event": event})


def decode_event(data: bytes) -> Event:
    """Raises ValueError for anything that is not an encoded relayed event."""
    try:
        envelope = msgspec.json.decode(data, type=_Envelope)
        return msgspec.json.decode(envelope.event, type=RELAYED[envelope.kind])
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError) as exc:
        raise ValueError(f"not a relayed event: {exc}") from exc
