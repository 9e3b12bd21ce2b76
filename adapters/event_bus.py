"""In-process event bus: subscribers run in order, each isolated from the others' failures."""

from __future__ import annotations

import logging

from domain.events import Event
from ports.events import Handler

logger = logging.getLogger("edgefleet.events")


class InProcessEventBus:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    async def publish(self, event: Event) -> None:
        for handler in self._handlers:
            try:
                await handler(event)
            except Exception:  # an alert rule bug must not lose the heartbeat that triggered it
                logger.exception("event handler %r failed on %s", handler, event.kind)


class RecordingEventBus(InProcessEventBus):
    """For tests: remembers everything published."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)
        await super().publish(event)
