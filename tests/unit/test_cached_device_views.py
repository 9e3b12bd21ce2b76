"""Device detail views in the read-model cache: served until that device changes, never older than a write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.cached_queries import DEVICE_TOPIC, CachedFleetQueries
from domain.devices import DeviceRecord, Platform
from ports.queries import DeviceView

NOW = datetime(2026, 12, 8, tzinfo=UTC)


class CountingViews:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.gate: asyncio.Event | None = None

    async def device_view(self, device_id, spans_since):
        self.calls[device_id] = self.calls.get(device_id, 0) + 1
        if self.gate is not None:
            await self.gate.wait()
        if device_id == "missing":
            return None
        record = DeviceRecord(device_id, f"read {self.calls[device_id]}", Platform.ATLAS)
        return DeviceView(record, frozenset(), [])

    def invalidate(self) -> None:
        pass


class Channel:
    """Signals as a worker sees them: what is published is delivered to the listeners."""

    def __init__(self) -> None:
        self.listeners: dict[str, list] = {}
        self.published: list[str] = []

    def listen(self, prefix, listener) -> None:
        self.listeners.setdefault(prefix, []).append(listener)

    def publish(self, topic) -> None:
        self.published.append(topic)
        for prefix, listeners in self.listeners.items():
            if topic.startswith(prefix):
                for listener in listeners:
                    listener(topic)


async def test_a_view_is_served_from_cache_until_its_device_changes():
    inner = CountingViews()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    first = await cache.device_view("a", NOW)
    assert await cache.device_view("a", NOW) is first
    await cache.device_view("b", NOW)
    cache.invalidate_devices(["a"])
    assert (await cache.device_view("a", NOW)).record.name == "read 2"
    assert (await cache.device_view("b", NOW)).record.name == "read 1"  # other devices keep theirs


async def test_an_inventory_write_drops_every_view():
    inner = CountingViews()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    await cache.device_view("a", NOW)
    cache.invalidate()
    assert (await cache.device_view("a", NOW)).record.name == "read 2"


async def test_a_change_during_a_read_is_not_cached_over():
    inner = CountingViews()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    inner.gate = asyncio.Event()
    reading = asyncio.ensure_future(cache.device_view("a", NOW))
    await asyncio.sleep(0)
    cache.invalidate_devices(["a"])  # a heartbeat committed while the read was on its way
    inner.gate.set()
    await reading
    assert (await cache.device_view("a", NOW)).record.name == "read 2"


async def test_unknown_devices_and_a_zero_ttl_are_never_cached():
    inner = CountingViews()
    assert await CachedFleetQueries(inner, ttl_seconds=30).device_view("missing", NOW) is None
    off = CachedFleetQueries(inner, view_ttl_seconds=0)
    await off.device_view("a", NOW)
    await off.device_view("a", NOW)
    assert inner.calls == {"missing": 1, "a": 2}


async def test_changes_reach_other_workers_in_signals_that_fit_the_channel():
    channel = Channel()
    here, there = CountingViews(), CountingViews()
    mine = CachedFleetQueries(here, ttl_seconds=30, signals=channel)
    theirs = CachedFleetQueries(there, ttl_seconds=30, signals=channel)
    await theirs.device_view("dev-00007", NOW)
    ids = [f"dev-{n:05d}" for n in range(250)]
    mine.invalidate_devices(ids)
    assert all(len(topic.encode()) < 7900 for topic in channel.published) and len(channel.published) == 3
    assert (await theirs.device_view("dev-00007", NOW)).record.name == "read 2"


async def test_a_lost_channel_drops_every_view():
    channel = Channel()
    inner = CountingViews()
    cache = CachedFleetQueries(inner, ttl_seconds=30, signals=channel)
    await cache.device_view("a", NOW)
    for listener in channel.listeners[DEVICE_TOPIC]:
        listener(DEVICE_TOPIC)  # what a reconnect delivers: the bare prefix
    assert (await cache.device_view("a", NOW)).record.name == "read 2"
