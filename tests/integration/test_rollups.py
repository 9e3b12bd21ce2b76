"""Metric rollups, retention and history resolutions on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, select

from adapters.persistence.history import read_history
from adapters.persistence.retention import purge
from adapters.persistence.rollup_tables import (
    device_metrics_1h,
    device_metrics_1m,
    rollup_dirty,
    rollup_watermarks,
)
from adapters.persistence.rollups import roll_up
from adapters.persistence.tables import device_metrics
from domain.devices import Device, MetricSample, Platform
from domain.metrics_history import MetricPoint, Resolution, aggregate, choose_resolution
from domain.pagination import PageRequest
from ports.repositories import TimeWindow

# Far from the wall clock, so on PostgreSQL these samples sit in the default partition unless a test
# creates day partitions for them.
NOW = datetime(2031, 3, 10, 12, 0, 30, tzinfo=UTC)
DEVICE = "dev-roll"
EVERYTHING = TimeWindow(NOW - timedelta(days=500))
MINUTE, HOUR = Resolution.MINUTE, Resolution.HOUR


@pytest.fixture
async def engine(container):
    await container.services.inventory().register(Device(id=DEVICE, name="rollups", platform=Platform.ATLAS))
    return container.gateways.engine()


async def record(container, *samples: MetricSample) -> None:
    await container.services.telemetry().record_batch(DEVICE, list(samples))


def sample(at: datetime, cpu: float | None = 50.0, **values) -> MetricSample:
    return MetricSample(DEVICE, at, cpu_usage=cpu, **values)


async def history(engine, resolution: Resolution, window: TimeWindow = EVERYTHING, limit: int = 1000):
    async with engine.connect() as conn:
        return await read_history(conn, DEVICE, window, PageRequest(limit), resolution)


async def rows(engine, table) -> list[tuple]:
    async with engine.connect() as conn:
        return [
            tuple(r) for r in await conn.execute(select(table).order_by(table.c.device_id, table.c.bucket))
        ]


async def count(engine, table=device_metrics) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


def same_points(actual: list[MetricPoint], expected: list[MetricPoint]) -> bool:
    """Equal field by field; floats up to rounding (SQL sums in its own order)."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        for field in dataclasses.fields(MetricPoint):
            a, b = getattr(got, field.name), getattr(want, field.name)
            close = isinstance(b, float) and a == pytest.approx(b, rel=1e-9, abs=1e-9)
            assert close or a == b, (field.name, got, want)
    return True


percent = st.one_of(st.none(), st.floats(0, 100))
samples_strategy = st.lists(
    st.builds(
        lambda seconds, cpu, memory, temperature, power, uptime: sample(
            NOW - timedelta(hours=4) + timedelta(seconds=seconds),
            cpu,
            memory_usage=memory,
            temperature=temperature,
            power_w=power,
            uptime_seconds=uptime,
        ),
        st.integers(0, 3 * 3600),
        percent,
        percent,
        st.one_of(st.none(), st.floats(-40, 120)),
        st.one_of(st.none(), st.floats(0, 500)),
        st.one_of(st.none(), st.integers(0, 10**9)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(samples=samples_strategy)
async def test_rollups_equal_a_brute_force_aggregation_of_the_samples(container, engine, samples):
    async with engine.begin() as conn:
        for table in (rollup_watermarks, rollup_dirty, device_metrics_1m, device_metrics_1h, device_metrics):
            await conn.execute(delete(table))
    await record(container, *samples)
    await roll_up(engine, NOW + timedelta(hours=2))  # every hour closed
    assert same_points(await history(engine, MINUTE), aggregate(samples, MINUTE))
    assert same_points(await history(engine, HOUR), aggregate(samples, HOUR))


async def test_rolling_up_twice_gives_the_same_buckets(container, engine):
    await record(
        container,
        *[sample(NOW - timedelta(minutes=90, seconds=17 * i), cpu=float(i % 100)) for i in range(300)],
    )
    first = await roll_up(engine, NOW)
    minutes, hours = await rows(engine, device_metrics_1m), await rows(engine, device_metrics_1h)
    await roll_up(engine, NOW)
    await roll_up(engine, NOW + timedelta(seconds=20))
    assert first.minute_buckets == len(minutes) > 0 and first.hour_buckets == len(hours) > 0
    assert await rows(engine, device_metrics_1m) == minutes and await rows(engine, device_metrics_1h) == hours


async def test_late_samples_are_picked_up_by_the_margin_replay_or_else_by_rebuilding_their_hour(
    container, engine
):
    hour = NOW.replace(minute=0, second=0)
    await record(container, sample(hour - timedelta(minutes=10)))
    await roll_up(engine, hour + timedelta(minutes=3))  # the hour before closed less than 5 minutes ago
    assert [p.timestamp for p in await history(engine, HOUR)] == []
    await record(container, sample(hour - timedelta(seconds=10)), sample(hour + timedelta(minutes=1)))
    await roll_up(engine, hour + timedelta(minutes=5, seconds=30))
    assert [(p.timestamp, p.samples) for p in await history(engine, HOUR)] == [(hour - timedelta(hours=1), 2)]
    assert (await history(engine, MINUTE))[0].timestamp == hour + timedelta(minutes=1)
    # Beyond the margin (an agent replaying its buffer): its hour is rebuilt for that device.
    await record(container, sample(hour - timedelta(minutes=10, seconds=-5)))
    counts = await roll_up(engine, hour + timedelta(minutes=6, seconds=30))
    assert counts.late_device_hours == 1
    assert [p.samples for p in await history(engine, MINUTE)] == [1, 1, 2]
    assert [p.samples for p in await history(engine, HOUR)] == [3]
    assert (await roll_up(engine, hour + timedelta(minutes=7))).late_device_hours == 0


async def test_late_samples_of_hours_already_purged_leave_their_buckets_alone(container, engine):
    await record(container, *[sample(NOW - timedelta(days=8, seconds=10 * m)) for m in range(3)])
    await roll_up(engine, NOW, chunk=timedelta(days=2))
    await purge(engine, NOW, timedelta(days=7))
    await record(container, sample(NOW - timedelta(days=8, seconds=5), cpu=0.0))
    assert (await roll_up(engine, NOW)).late_device_hours == 1
    assert [(p.samples, p.cpu_usage) for p in await history(engine, HOUR)] == [(3, 50.0)]


async def test_purge_deletes_old_samples_in_small_batches_and_keeps_recent_ones(container, engine):
    old = [sample(NOW - timedelta(days=10, seconds=i)) for i in range(25)]
    older = [sample(NOW - timedelta(days=40, seconds=i)) for i in range(3)]
    recent = [sample(NOW - timedelta(hours=1, seconds=i)) for i in range(5)]
    await record(container, *old, *older, *recent)
    await roll_up(engine, NOW + timedelta(hours=1), chunk=timedelta(days=1))
    deletes = []
    listener = lambda *args: deletes.append(args[2]) if args[2].startswith("DELETE") else None  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        counts = await purge(engine, NOW, timedelta(days=7), batch=10, pause=0)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert counts.raw_samples == 28
    assert (
        sum("device_metrics_1m" not in s and "device_metrics_1h" not in s for s in deletes) == 3
    )  # 10 + 10 + 8
    assert {p.timestamp for p in await history(engine, Resolution.RAW)} == {s.timestamp for s in recent}
    # 1-minute buckets go after 30 days, 1-hour buckets stay for 400.
    assert counts.minute_buckets == 1 and counts.hour_buckets == 0
    assert len(await history(engine, HOUR)) == 3


async def test_samples_not_yet_rolled_up_are_never_purged(container, engine):
    await record(container, sample(NOW - timedelta(days=30)))
    counts = await purge(engine, NOW, timedelta(days=7))
    assert counts.raw_samples == 0 and await count(engine) == 1


async def test_rollup_buckets_overlapping_the_window_are_returned_newest_first_and_paged(container, engine):
    await record(container, *[sample(NOW - timedelta(minutes=m), cpu=float(m)) for m in range(1, 11)])
    await roll_up(engine, NOW)
    window = TimeWindow(NOW - timedelta(minutes=7, seconds=10), NOW - timedelta(minutes=2))
    page = await read_page(engine, window, PageRequest(3, 1))
    assert [p.cpu_usage for p in page] == [3.0, 4.0, 5.0]
    assert all(p.status is None and p.samples == 1 and p.cpu_usage_min == p.cpu_usage_max for p in page)
    assert [p.cpu_usage for p in await read_page(engine, window, PageRequest(10))][
        -1
    ] == 7.0  # 7m10s ago: its whole minute


async def read_page(engine, window, page):
    async with engine.connect() as conn:
        return await read_history(conn, DEVICE, window, page, MINUTE)


@pytest.mark.parametrize(
    "span, expected",
    [(timedelta(hours=2), Resolution.RAW), (timedelta(days=3), MINUTE), (timedelta(days=30), HOUR)],
)
async def test_auto_resolution_reads_raw_samples_for_short_windows_and_rollups_for_long_ones(
    container, engine, span, expected
):
    await record(container, *[sample(NOW - timedelta(minutes=m)) for m in range(1, 200, 7)])
    await roll_up(engine, NOW + timedelta(hours=1))
    resolution = choose_resolution(Resolution.AUTO, NOW - span, NOW, NOW, timedelta(days=7))
    points = await history(engine, resolution, TimeWindow(NOW - span, NOW))
    assert resolution is expected and points
    assert all((p.samples is None) == (expected is Resolution.RAW) for p in points)
    assert all((p.status is not None) == (expected is Resolution.RAW) for p in points)
