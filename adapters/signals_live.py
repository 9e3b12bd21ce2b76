"""Live updates across API workers over Signals (the PostgreSQL channel) when no Redis is configured:
each relayed event travels as one topic, delivered to this worker's clients at once and to the other
workers' clients when PostgreSQL relays it. Like pub/sub it keeps nothing: a worker cut off from the
channel shows only its own events until it is back."""

from __future__ import annotations

import logging

from adapters.event_codec import RELAYED, decode_event, encode_event
from adapters.live_stream import LiveStream
from domain.events import Event
from ports.signals import Signals

logger = logging.getLogger("edgefleet.live")
PREFIX = "live:"


class SignalsLiveRelay:
    def __init__(self, signals: Signals, local: LiveStream) -> None:
        self._signals, self._local = signals, local
        signals.listen(PREFIX, self._deliver)

    async def on_event(self, event: Event) -> None:
        """Event-bus handler (in place of the LiveStream's own)."""
        if type(event).__name__ in RELAYED:
            self._signals.publish(PREFIX + encode_event(event).decode())

    def _deliver(self, topic: str) -> None:
        if topic == PREFIX:
            return  # the channel was lost: clients re-read REST state after a gap anyway
        try:
            event = decode_event(topic.removeprefix(PREFIX).encode())
        except ValueError as exc:  # another version on the channel: skip, do not die
            logger.warning("ignored a live-channel message: %s", exc)
            return
        for subscription in self._local.subscriptions():
            subscription.offer(event)
