"""The API contract's caching strategy for fleet listings: 30 s, keyed by every query parameter, and
forgotten at once when the inventory changes, on every API worker (over Signals), so a client never
reads its own write as stale whichever worker answers it.

Heartbeat telemetry does not invalidate: figures in a listing may lag by up to the TTL, as the API
contract allows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import datetime

from domain.devices import DeviceRecord
from domain.metrics_history import MetricPoint, Resolution
from domain.pagination import Page, PageRequest
from domain.security import SecurityCounts
from ports.queries import DeviceView, FleetQueries
from ports.repositories import DeviceFilter, TimeWindow
from ports.signals import Signals

logger = logging.getLogger("edgefleet.cache")
TOPIC = "cache:fleet"
DEVICE_TOPIC = "cache:views:"  # + comma-separated device ids; the bare prefix means every device
VIEW_IDS_PER_SIGNAL = 100  # ids are at most 64 characters


class CachedFleetQueries:
    def __init__(
        self,
        inner: FleetQueries,
        ttl_seconds: float = 30.0,
        max_entries: int = 1024,
        view_ttl_seconds: float = 60.0,
        max_views: int = 100_000,
        security_refresh_seconds: float = 15.0,
        monotonic=time.monotonic,
        signals: Signals | None = None,
    ) -> None:
        self._inner = inner
        self._ttl = ttl_seconds
        self._max = max_entries
        self._view_ttl, self._max_views = view_ttl_seconds, max_views
        self._security_period = security_refresh_seconds
        self._security: tuple[float, int, SecurityCounts] | None = None  # (counted at, generation, counts)
        self._security_refresh: asyncio.Future[SecurityCounts] | None = None
        self._now = monotonic
        self._entries: OrderedDict[tuple, tuple[float, int, Page[DeviceRecord]]] = OrderedDict()
        self._generation = 0
        self._signals = signals
        # A device's detail view, dropped by any change of that device (its heartbeats included) and
        # by any inventory write: detail is never staler than the channel between workers.
        self._views: OrderedDict[str, tuple[float, int, DeviceView]] = OrderedDict()
        self._view_revisions: dict[str, int] = {}
        if signals is not None:
            signals.listen(TOPIC, lambda _topic: self._drop())
            signals.listen(DEVICE_TOPIC, self._on_devices_changed)

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

    async def device_view(self, device_id: str, spans_since: datetime) -> DeviceView | None:
        if self._view_ttl <= 0:
            return await self._inner.device_view(device_id, spans_since)
        now, revision = self._now(), self._view_revisions.get(device_id, 0)
        hit = self._views.get(device_id)
        # the spans kept may reach back further than asked: uptime is computed over its own windows
        if hit is not None and hit[0] > now and hit[1] == revision:
            self._views.move_to_end(device_id)
            return hit[2]
        generation = self._generation
        view = await self._inner.device_view(device_id, spans_since)
        if (
            view is not None
            and generation == self._generation
            and revision == self._view_revisions.get(device_id, 0)
        ):
            self._views[device_id] = (now + self._view_ttl, revision, view)
            self._views.move_to_end(device_id)
            while len(self._views) > self._max_views:
                self._views.popitem(last=False)
        return view

    def invalidate_devices(self, device_ids: list[str]) -> None:
        """These devices changed (figures, seals ...): their views go here and on every other worker."""
        if not device_ids:
            return
        if self._signals is None:
            self._forget_views(device_ids)
            return
        for start in range(0, len(device_ids), VIEW_IDS_PER_SIGNAL):  # a signal carries at most 8 KB
            chunk = device_ids[start : start + VIEW_IDS_PER_SIGNAL]
            self._signals.publish(DEVICE_TOPIC + ",".join(chunk))  # delivered here at once too

    def _on_devices_changed(self, topic: str) -> None:
        ids = topic.removeprefix(DEVICE_TOPIC)
        if ids:
            self._forget_views(ids.split(","))
        else:  # the channel was lost: any change may have been missed
            self._drop()

    def _forget_views(self, device_ids: list[str]) -> None:
        for device_id in device_ids:
            self._view_revisions[device_id] = self._view_revisions.get(device_id, 0) + 1
            self._views.pop(device_id, None)

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        resolution: Resolution,
        include_decommissioned: bool = False,
    ) -> list[MetricPoint] | None:
        return await self._inner.history(device_id, window, page, resolution, include_decommissioned)

    async def security_counts(self, fresh_since: datetime) -> SecurityCounts:
        """Counting them reads every device (freshness is a matter of time, no counter keeps it), so
        they are counted once per refresh period, in the background when only time has passed; after
        an inventory write or status change the next caller counts again, so nobody reads their own
        change as stale."""
        held = self._security
        if held is not None and held[1] == self._generation:
            if self._now() - held[0] >= self._security_period and self._security_refresh is None:
                self._security_refresh = refresh = asyncio.ensure_future(self._count_security(fresh_since))
                refresh.add_done_callback(self._refreshed)
            return held[2]
        return await self._count_security(fresh_since)

    def _refreshed(self, refresh: asyncio.Future[SecurityCounts]) -> None:
        self._security_refresh = None
        if not refresh.cancelled() and refresh.exception() is not None:
            logger.warning("fleet security figures not recounted: %s", refresh.exception())

    async def _count_security(self, fresh_since: datetime) -> SecurityCounts:
        generation, started = self._generation, self._now()
        counts = await self._inner.security_counts(fresh_since)
        if generation == self._generation:
            self._security = (started, generation, counts)
        return counts

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
        self._views.clear()
        self._inner.invalidate()

    def close(self) -> None:
        close = getattr(self._inner, "close", None)  # the SQL queries hold a connection; others nothing
        if close is not None:
            close()
