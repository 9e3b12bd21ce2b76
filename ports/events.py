from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from domain.events import Event

Handler = Callable[[Event], Awaitable[None]]


class EventBus(Protocol):
    """Delivers events to subscribers after the publishing transaction committed; a failing
    subscriber is logged and never fails the publisher."""

    async def publish(self, event: Event) -> None: ...

    def subscribe(self, handler: Handler) -> None: ...
