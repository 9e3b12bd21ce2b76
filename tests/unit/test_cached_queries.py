"""The fleet listing cache: hits within the TTL, forgets on writes, never caches a view older than a write."""

from __future__ import annotations

import asyncio

from adapters.cached_queries import CachedFleetQueries
from domain.pagination import Page, PageRequest
from ports.repositories import DeviceFilter


class CountingQueries:
    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def devices(self, filters, page):
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return Page(items=[], total=self.calls, limit=page.limit, offset=page.offset)

    def invalidate(self) -> None:
        pass


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_repeated_query_is_served_from_cache_until_the_ttl_passes():
    inner, tick = CountingQueries(), Ticker()
    cache = CachedFleetQueries(inner, ttl_seconds=30, monotonic=tick)
    first = await cache.devices(DeviceFilter(), PageRequest(20))
    tick.now = 29.9
    assert (await cache.devices(DeviceFilter(), PageRequest(20))) is first
    tick.now = 30.1
    assert (await cache.devices(DeviceFilter(), PageRequest(20))).total == 2


async def test_every_query_parameter_is_part_of_the_key():
    inner = CountingQueries()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    await cache.devices(DeviceFilter(location="a"), PageRequest(20))
    await cache.devices(DeviceFilter(location="b"), PageRequest(20))
    await cache.devices(DeviceFilter(location="a"), PageRequest(20, 20))
    await cache.devices(DeviceFilter(location="a", include_decommissioned=True), PageRequest(20))
    assert inner.calls == 4


async def test_a_write_makes_the_next_read_fresh():
    inner = CountingQueries()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    await cache.devices(DeviceFilter(), PageRequest(20))
    cache.invalidate()
    assert (await cache.devices(DeviceFilter(), PageRequest(20))).total == 2


async def test_a_read_that_overlaps_a_write_is_not_cached():
    inner = CountingQueries()
    cache = CachedFleetQueries(inner, ttl_seconds=30)
    inner.gate = asyncio.Event()
    slow_read = asyncio.create_task(cache.devices(DeviceFilter(), PageRequest(20)))
    await asyncio.sleep(0)
    cache.invalidate()  # a write commits while the read is in flight
    inner.gate.set()
    await slow_read
    inner.gate = None
    assert (await cache.devices(DeviceFilter(), PageRequest(20))).total == 2


async def test_a_zero_ttl_disables_caching():
    inner = CountingQueries()
    cache = CachedFleetQueries(inner, ttl_seconds=0)
    await cache.devices(DeviceFilter(), PageRequest(20))
    await cache.devices(DeviceFilter(), PageRequest(20))
    assert inner.calls == 2


async def test_the_cache_is_bounded():
    inner = CountingQueries()
    cache = CachedFleetQueries(inner, ttl_seconds=30, max_entries=2)
    for offset in (0, 20, 40, 0):
        await cache.devices(DeviceFilter(), PageRequest(20, offset))
    assert inner.calls == 4


class CountingSecurity:
    def __init__(self) -> None:
        self.calls = 0

    async def security_counts(self, fresh_since):
        self.calls += 1
        return self.calls

    def invalidate(self) -> None:
        pass


async def test_security_figures_are_counted_once_per_period_and_again_after_a_write():
    inner, tick = CountingSecurity(), Ticker()
    cache = CachedFleetQueries(inner, monotonic=tick, security_refresh_seconds=15)
    assert await cache.security_counts(None) == 1
    tick.now = 10
    assert await cache.security_counts(None) == 1  # within the period: no pass over the fleet
    tick.now = 16
    assert await cache.security_counts(None) == 1  # stale: answered at once, recounted behind it
    await asyncio.sleep(0)
    assert inner.calls == 2 and await cache.security_counts(None) == 2
    cache.invalidate()
    assert await cache.security_counts(None) == 3  # a write: the next caller waits for a fresh count
