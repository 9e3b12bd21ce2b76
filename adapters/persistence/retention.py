"""Metrics retention: raw samples for the configured retention, rollups for longer.

Rows go in batches of BATCH, one short transaction each, so heartbeats keep writing in between (on
SQLite a single big DELETE would hold the database's write lock for seconds). On PostgreSQL whole
day partitions are dropped instead; only stray rows of the default partition are deleted.
Raw samples not yet rolled up are never deleted, whatever their age.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.partitions import default_partition, drop_partitions_before, ensure_partitions
from adapters.persistence.rollup_tables import device_metrics_1h, device_metrics_1m
from adapters.persistence.rollups import PURGED, set_watermark, watermark
from adapters.persistence.tables import device_metrics
from domain.metrics_history import HOUR_ROLLUP_RETENTION, MINUTE_ROLLUP_RETENTION, Resolution

BATCH = 10_000
PAUSE_SECONDS = 0.01  # between batches, so waiting writers get the lock
PARTITIONS_AHEAD = 3  # days of PostgreSQL partitions created in advance


@dataclass(frozen=True)
class PurgeCounts:
    raw_samples: int
    raw_partitions: int
    minute_buckets: int
    hour_buckets: int


async def purge(
    engine: AsyncEngine,
    now: datetime,
    retention: timedelta,
    *,
    batch: int = BATCH,
    pause: float = PAUSE_SECONDS,
) -> PurgeCounts:
    async with engine.connect() as conn:
        marks = [await watermark(conn, r) for r in (Resolution.MINUTE, Resolution.HOUR)]
    partitions, raw = [], 0
    if None not in marks:  # before the first rollup round nothing raw goes
        cutoff = min(now - retention, *marks)
        async with engine.begin() as conn:  # first, so late samples no longer rebuild these hours
            await set_watermark(conn, PURGED, cutoff)
        if engine.dialect.name == "postgresql":
            partitions = await drop_partitions_before(engine, cutoff)
            table, key = default_partition, default_partition.c
        else:
            table, key = device_metrics, device_metrics.c
        raw = await delete_in_batches(engine, table, [key.id], key.timestamp, cutoff, batch, pause)
    rollups = [
        await delete_in_batches(
            engine, table, [table.c.device_id, table.c.bucket], table.c.bucket, now - keep, batch, pause
        )
        for table, keep in (
            (device_metrics_1m, MINUTE_ROLLUP_RETENTION),
            (device_metrics_1h, HOUR_ROLLUP_RETENTION),
        )
    ]
    return PurgeCounts(raw, len(partitions), *rollups)


async def prepare_partitions(engine: AsyncEngine, today: date) -> list[str]:
    """PostgreSQL: make sure the coming days have their partitions (a no-op elsewhere)."""
    if engine.dialect.name != "postgresql":
        return []
    return await ensure_partitions(engine, today, today + timedelta(days=PARTITIONS_AHEAD))


async def delete_in_batches(
    engine: AsyncEngine,
    table: Table,
    key: list[Column],
    moment: Column,
    cutoff: datetime,
    batch: int,
    pause: float,
) -> int:
    """Delete the rows with ``moment < cutoff``, ``batch`` keys per statement and transaction."""
    picked = select(*key).where(moment < cutoff).limit(batch)
    matches = key[0].in_(picked) if len(key) == 1 else tuple_(*key).in_(picked)
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(delete(table).where(matches))).rowcount
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(pause)
