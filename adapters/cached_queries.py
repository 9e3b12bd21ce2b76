"""The API contract's caching strategy for fleet listings: 30 s, keyed by every query parameter, and
forgotten at once when the inventory changes, on every API worker (over Signals), so a client never
reads its own write as stale whichever worker answers it.

Heartbeat telemetry does not invalidate: figures in a listing may lag by up to the TTL, as the API
contract allows.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime

from domain.devices import DeviceRecord
from domain.pagination import Page, PageRequest
from domain.security import SecurityCounts
from ports.queries import FleetQueries
from ports.repositories import DeviceFilter
from ports.signals import Signals

TOPIC = "cache:fleet"


class CachedFleetQueries:
    def __init__(
        self,
        inner: FleetQueries,
        ttl_seconds: float = 30.0,
        max_entries: int = 1024,
        monotonic=time.monotonic,
        signals: Signals | None = None,
    ) -> None:
        self._inner = inner
        self._ttl = ttl_seconds
        self._max = max_entries
        self._now = monotonic
        self._entries: OrderedDict[tuple, tuple[float, int, Page[DeviceRecord]]] = OrderedDict()
        self._generation = 0
        self._signals = signals
        if signals is not None:
            signals.listen(TOPIC, lambda _topic: self._drop())

    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        if self._ttl <= 0:
            return await self._inner.devices(filters, page)
        key = (filters, page)
        hit = self._entries.get(key)
        now = self._now()
        if hit is not None and hit[0] > now and hit[1] == self._generation:
            self._entries.move_to_end(key)
            return hit[2]
        generation = self._generation
        result = await self._inner.devices(filters, page)
        # A write that landed while we were reading bumped the generation: do not cache the old view.
        if generation == self._generation:
            self._entries[key] = (now + self._ttl, generation, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return result

    async def security_counts(self, fresh_since: datetime) -> SecurityCounts:
        return await self._inner.security_counts(fresh_since)

    async def operational_counts(self) -> dict[str, int]:
        return await self._inner.operational_counts()

    async def device_breakdown(self) -> list[tuple[str, str, str | None, int]]:
        return await self._inner.device_breakdown()

    async def due_for_attestation(self, attested_before: datetime, limit: int) -> list[str]:
        return await self._inner.due_for_attestation(attested_before, limit)

    def invalidate(self) -> None:
        """Forget every cached listing here and, over Signals, on every other worker."""
        if self._signals is None:
            self._drop()
        else:
            self._signals.publish(TOPIC)  # delivered here at once too

    def _drop(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._inner.invalidate()

    def close(self) -> None:
        close = getattr(self._inner, "close", None)  # the SQL queries hold a connection; others nothing
        if close is not None:
            close()
