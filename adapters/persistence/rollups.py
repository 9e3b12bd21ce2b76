"""Keeping the 1-minute and 1-hour rollups up to date (a periodic job; see rollup_sql for the SQL).

A round rebuilds every closed minute since the "1m" watermark, again including the last LATE_MARGIN
(samples arrive a little late), and every hour that closed LATE_MARGIN ago. A sample older than that
(an agent replaying hours of buffered samples) is caught by an insert trigger that records its device
and hour in rollup_dirty; the round then rebuilds those hours for that device.

On PostgreSQL every insert into device_metrics holds a shared advisory lock (the trigger) and a round
holds it exclusively, so no sample commits unseen while a round reads; SQLite serialises writers anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.persistence.rollup_sql import recompute
from adapters.persistence.rollup_tables import rollup_dirty, rollup_watermarks
from adapters.persistence.tables import device_metrics
from domain.metrics_history import Resolution, bucket_start

LATE_MARGIN = timedelta(minutes=5)
CHUNK = timedelta(hours=1)  # one transaction per hour of samples: short write locks while catching up
DIRTY_BATCH = 500  # device-hours rebuilt per round
LATE, PURGED = "late", "purged"
_ROUND_LOCK = 0x6564_6766_726F_6C6C  # one worker rolls up at a time ("edgfroll")
_INSERT_LOCK = (
    0x6564_6766_6C61_7465  # shared by inserts, exclusive for a round ("edgflate"; in migration 0009)
)
MINUTE, HOUR = Resolution.MINUTE, Resolution.HOUR


@dataclass(frozen=True)
class RollupCounts:
    minute_buckets: int
    hour_buckets: int
    late_device_hours: int


async def roll_up(
    engine: AsyncEngine, now: datetime, *, margin: timedelta = LATE_MARGIN, chunk: timedelta = CHUNK
) -> RollupCounts:
    minutes = await _advance(
        engine,
        MINUTE,
        bucket_start(now, MINUTE.width),
        margin,
        chunk,
        late_from=lambda end: bucket_start(end - margin, MINUTE.width),
    )
    hours = await _advance(
        engine, HOUR, bucket_start(now - margin, HOUR.width), timedelta(0), chunk, late_from=lambda end: end
    )
    return RollupCounts(minutes, hours, await _rebuild_late(engine))


async def watermark(conn: AsyncConnection, name: Resolution | str) -> datetime | None:
    w = rollup_watermarks.c
    return await conn.scalar(select(w.upto).where(w.name == str(name)))


async def set_watermark(conn: AsyncConnection, name: Resolution | str, upto: datetime) -> None:
    """Forward only: a clock stepping back never makes a round redo or skip work."""
    insert_of = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert_of(rollup_watermarks).values(name=str(name), upto=upto)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"upto": statement.excluded.upto},
            where=rollup_watermarks.c.upto < statement.excluded.upto,
        )
    )


async def _advance(
    engine: AsyncEngine,
    resolution: Resolution,
    until: datetime,
    replay: timedelta,
    chunk: timedelta,
    late_from,
) -> int:
    width = resolution.width
    async with engine.connect() as conn:
        done = await watermark(conn, resolution)
        oldest = (
            None
            if done
            else await conn.scalar(
                select(device_metrics.c.timestamp).order_by(device_metrics.c.timestamp).limit(1)
            )
        )
    start = bucket_start(done - replay, width) if done else bucket_start(oldest, width) if oldest else until
    step = max(width, chunk - chunk % width)
    written = 0
    while True:  # at least once, so an empty database still records how far it is rolled up
        end = min(start + step, until)
        async with engine.begin() as conn:
            if not await _exclusive(conn):
                return written  # another worker is rolling up right now
            # Moved before reading: a sample inserted from here on is either read below or marked late.
            await set_watermark(conn, LATE, late_from(end))
            if start < end:
                written += await recompute(conn, resolution, start, end)
            await set_watermark(conn, resolution, end)
        start = end
        if start >= until:
            return written


async def _rebuild_late(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        if not await _exclusive(conn):
            return 0
        d = rollup_dirty.c
        keys = (await conn.execute(select(d.device_id, d.hour).order_by(d.hour).limit(DIRTY_BATCH))).all()
        if not keys:
            return 0
        await conn.execute(delete(rollup_dirty).where(tuple_(d.device_id, d.hour).in_(keys)))
        purged, minutes, hours = [await watermark(conn, name) for name in (PURGED, MINUTE, HOUR)]
        for device_id, hour in keys:
            if purged and hour < purged:
                continue  # some raw samples of that hour are gone: keep the buckets computed before
            await recompute(conn, MINUTE, hour, min(hour + HOUR.width, minutes), device_id)
            if hours and hour < hours:
                await recompute(conn, HOUR, hour, hour + HOUR.width, device_id)
    return len(keys)


async def _exclusive(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "postgresql":
        return True
    if not await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _ROUND_LOCK}):
        return False
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INSERT_LOCK})
    return True
