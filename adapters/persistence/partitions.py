"""PostgreSQL only: daily partitions of device_metrics (created by migration 0009).

Partitions are named after their UTC day, ``device_metrics_parts.device_metrics_pYYYYMMDD``; rows of a
day without a partition land in ``device_metrics_default``. Retention drops a day once all of it is
older than the cutoff, so raw samples live between the retention and the retention plus one day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import BigInteger, Column, MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.persistence.types import UtcDateTime

SCHEMA = "device_metrics_parts"
DAY_PARTITION = re.compile(r"^device_metrics_p(\d{8})$")
# The default partition as a table of its own, for deleting stray old rows without touching the days.
default_partition = Table(
    "device_metrics_default",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("timestamp", UtcDateTime, primary_key=True),
    schema=SCHEMA,
)
_LOCK = 0x6564_6766_6D65_7472  # advisory lock key ("edgfmetr"): one worker at a time changes partitions


def partition_name(day: date) -> str:
    return f"device_metrics_p{day:%Y%m%d}"


def _bound(day: date) -> str:
    return f"'{day:%Y-%m-%d} 00:00:00+00'"  # a date object: nothing user-supplied reaches the DDL


async def _day_partitions(conn: AsyncConnection) -> dict[date, str]:
    names = await conn.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'device_metrics'::regclass"
        )
    )
    found = {}
    for name in names:
        if match := DAY_PARTITION.match(name):
            found[datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return found


async def ensure_partitions(engine: AsyncEngine, first: date, last: date) -> list[str]:
    """Create the missing day partitions from ``first`` to ``last`` inclusive; returns their names."""
    created = []
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        existing = await _day_partitions(conn)
        day = first
        while day <= last:
            if day not in existing:
                await _create_day(conn, day)
                created.append(partition_name(day))
            day += timedelta(days=1)
    return created


async def _create_day(conn: AsyncConnection, day: date) -> None:
    name, lo, hi = f"{SCHEMA}.{partition_name(day)}", _bound(day), _bound(day + timedelta(days=1))
    bounds = f"FOR VALUES FROM ({lo}) TO ({hi})"
    in_day = f"timestamp >= {lo} AND timestamp < {hi}"
    strays = await conn.scalar(
        text(f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.device_metrics_default WHERE {in_day})")
    )
    if not strays:
        await conn.execute(text(f"CREATE TABLE {name} PARTITION OF device_metrics {bounds}"))
        return
    # PostgreSQL refuses a partition whose rows sit in the default one: move them over, then attach.
    await conn.execute(text(f"CREATE TABLE {name} (LIKE device_metrics INCLUDING DEFAULTS)"))
    await conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {SCHEMA}.device_metrics_default WHERE {in_day} RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        )
    )
    await conn.execute(text(f"ALTER TABLE device_metrics ATTACH PARTITION {name} {bounds}"))


async def drop_partitions_before(engine: AsyncEngine, cutoff: datetime) -> list[str]:
    """Drop the day partitions that end at or before ``cutoff``; returns their names."""
    dropped = []
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        # Dropping needs a brief exclusive lock on device_metrics: give up (until the next round)
        # rather than queue heartbeats behind a long-running read.
        await conn.execute(text("SET LOCAL lock_timeout = '2s'"))
        for day, name in sorted((await _day_partitions(conn)).items()):
            if datetime.combine(day + timedelta(days=1), time(), UTC) <= cutoff:
                await conn.execute(text(f"DROP TABLE {SCHEMA}.{name}"))
                dropped.append(name)
    return dropped
