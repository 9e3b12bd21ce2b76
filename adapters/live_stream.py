"""Live-update fan-out in one process: the event bus feeds every connected client's bounded queue.

A client that reads slower than events arrive loses the newest events rather than growing memory or
slowing the publisher; it is then told how many it missed (``Lagged``), right where the gap is, and
can re-read the REST endpoints. All of this runs on the server's one event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from domain.events import Event

DEFAULT_CAPACITY = 256


@dataclass(frozen=True)
class Lagged:
    dropped: int


class Subscription:
    def __init__(self, accepts: Callable[[Event], bool], capacity: int) -> None:
        self._accepts = accepts
        self._capacity = capacity
        self._items: deque[Event | Lagged] = deque()
        self._dropped = 0
        self._ready = asyncio.Event()

    def offer(self, event: Event) -> None:
        if not self._accepts(event):
            return
        if len(self._items) >= self._capacity:
            self._dropped += 1
            return
        if self._dropped:
            self._items.append(Lagged(self._dropped))
            self._dropped = 0
        self._items.append(event)
        self._ready.set()

    async def next(self) -> Event | Lagged:
        """The next event in publication order, or a Lagged notice where events were dropped."""
        while not self._items:
            if self._dropped:
                dropped, self._dropped = self._dropped, 0
                return Lagged(dropped)
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


class LiveStream:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._subscriptions: set[Subscription] = set()

    async def on_event(self, event: Event) -> None:
        """Event-bus handler: never blocks, whatever the clients do."""
        for subscription in self.subscriptions():
            subscription.offer(event)

    def subscriptions(self) -> list[Subscription]:
        return list(self._subscriptions)

    @contextmanager
    def subscribe(self, accepts: Callable[[Event], bool] = lambda _: True) -> Iterator[Subscription]:
        subscription = Subscription(accepts, self._capacity)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    @property
    def clients(self) -> int:
        return len(self._subscriptions)
