"""PostgreSQL specifics of metrics retention: device_metrics partitioned by day (migration 0009), created
ahead and dropped for retention; rollup rounds waiting for samples being inserted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from adapters.persistence.engine import create_engine
from adapters.persistence.migrate import alembic_config, downgrade, upgrade
from adapters.persistence.partitions import ensure_partitions, partition_name
from adapters.persistence.retention import prepare_partitions, purge
from adapters.persistence.rollups import roll_up
from domain.devices import Device, MetricSample, Platform

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
NOW = datetime(2031, 3, 10, 12, 0, 30, tzinfo=UTC)
DEVICE = "dev-part"


@pytest.fixture
async def engine(container):
    await container.services.inventory().register(
        Device(id=DEVICE, name="partitions", platform=Platform.ATLAS)
    )
    return container.gateways.engine()


async def record(container, *moments: datetime) -> None:
    await container.services.telemetry().record_batch(
        DEVICE, [MetricSample(DEVICE, m, cpu_usage=1.0) for m in moments]
    )


async def partitions_of_rows(engine) -> list[str]:
    async with engine.connect() as conn:
        query = "SELECT tableoid::regclass::text FROM device_metrics ORDER BY timestamp"
        return [name.split(".")[-1] for name in await conn.scalars(text(query))]


async def day_partitions(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(
            await conn.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'device_metrics'::regclass AND c.relname <> 'device_metrics_default'"
                )
            )
        )


async def test_partitions_are_prepared_days_ahead_once(container, engine):
    created = await prepare_partitions(engine, NOW.date())
    assert created == [partition_name(NOW.date() + timedelta(days=d)) for d in range(4)]
    assert await prepare_partitions(engine, NOW.date()) == []


async def test_purge_drops_whole_days_older_than_the_retention_and_keeps_the_rest(container, engine):
    await ensure_partitions(engine, (NOW - timedelta(days=10)).date(), NOW.date())
    await record(
        container, NOW - timedelta(days=10), NOW - timedelta(days=7, hours=1), NOW - timedelta(hours=1)
    )
    await roll_up(engine, NOW + timedelta(hours=1), chunk=timedelta(days=1))
    counts = await purge(engine, NOW, timedelta(days=7))
    remaining = await day_partitions(engine)
    assert partition_name((NOW - timedelta(days=8)).date()) not in remaining
    # The day holding the cutoff stays whole, with its sample an hour past the retention.
    assert partition_name((NOW - timedelta(days=7)).date()) in remaining
    assert counts.raw_partitions >= 3 and counts.raw_samples == 0
    assert await partitions_of_rows(engine) == [
        partition_name((NOW - timedelta(days=7)).date()),
        partition_name(NOW.date()),
    ]


async def test_a_new_day_partition_takes_over_its_rows_from_the_default_partition(container, engine):
    day = NOW - timedelta(days=2)
    await record(container, day, day + timedelta(hours=3))
    assert await partitions_of_rows(engine) == ["device_metrics_default"] * 2
    assert await ensure_partitions(engine, day.date(), day.date()) == [partition_name(day.date())]
    assert await partitions_of_rows(engine) == [partition_name(day.date())] * 2


async def test_existing_samples_survive_partitioning_and_its_downgrade(postgres_server, database_url):
    url = postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0009").down_revision
    upgrade(url, before)
    engine = create_engine(url)
    insert = "INSERT INTO device_metrics (device_id, timestamp, cpu_usage) VALUES ('d1', :at, 5) RETURNING id"
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO edge_devices (id, name, platform, created_at, updated_at, status, "
                    "tee_enabled, tpm_enabled) VALUES ('d1', 'd1', 'atlas', now(), now(), 'online', "
                    "false, false)"
                )
            )
            ids = [
                await conn.scalar(text(insert), {"at": datetime.now(UTC) - timedelta(days=d)})
                for d in (0, 30)
            ]
        upgrade(url, "0009")
        assert sorted(await partitions_of_rows(engine)) == sorted(
            ["device_metrics_default", partition_name(datetime.now(UTC).date())]
        )
        async with engine.begin() as conn:
            assert await conn.scalar(text(insert), {"at": datetime.now(UTC)}) > max(ids)
        downgrade(url, before)
        async with engine.connect() as conn:
            assert (
                await conn.scalar(
                    text("SELECT count(*) FROM device_metrics WHERE id = ANY(:ids)"), {"ids": ids}
                )
                == 2
            )
            assert (
                await conn.scalar(text("SELECT relkind::text FROM pg_class WHERE relname = 'device_metrics'"))
                == "r"
            )
    finally:
        await engine.dispose()


async def until_a_backend_waits_for_an_advisory_lock(engine, seconds: float = 5.0) -> None:
    """The round's wait, seen in pg_stat_activity rather than guessed from elapsed time."""
    deadline = asyncio.get_running_loop().time() + seconds
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()"
    )
    while True:
        async with engine.connect() as conn:
            if await conn.scalar(waiting):
                return
        assert asyncio.get_running_loop().time() < deadline, "the round never waited for the insert lock"
        await asyncio.sleep(0.02)


async def test_a_rollup_round_waits_for_a_sample_being_inserted_and_then_counts_it(container, engine):
    await record(container, NOW - timedelta(minutes=3))
    await roll_up(engine, NOW)
    async with engine.connect() as writer:
        await writer.execute(
            text("INSERT INTO device_metrics (device_id, timestamp, cpu_usage) VALUES (:d, :at, 3)"),
            {"d": DEVICE, "at": NOW - timedelta(minutes=3)},
        )
        round_ = asyncio.create_task(roll_up(engine, NOW + timedelta(seconds=30)))
        await until_a_backend_waits_for_an_advisory_lock(engine)
        assert not round_.done()
        await writer.commit()
    await round_
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT samples FROM device_metrics_1m")) == 2
