"""The SQL of a rollup: buckets rebuilt from the raw samples with DELETE + INSERT ... SELECT.

Rebuilding whole buckets makes every rollup idempotent: running it twice, or two workers running it,
leaves the same rows. Both tables read the raw samples (not 1-hour from 1-minute): averages stay
exact when a metric is missing from some samples of a minute.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.persistence.rollup_tables import ROLLUP_TABLES
from adapters.persistence.tables import device_metrics
from domain.metrics_history import AVERAGED, RANGED, Resolution

ROLLUP_COLUMNS = [
    "device_id",
    "bucket",
    "samples",
    *[f"{m}_{agg}" for m in RANGED for agg in ("min", "max", "avg")],
    *[f"{m}_avg" for m in AVERAGED],
    "uptime_seconds_max",
]


async def recompute(
    conn: AsyncConnection,
    resolution: Resolution,
    start: datetime,
    end: datetime,
    device_id: str | None = None,
) -> int:
    """Replace the buckets in [start, end) (whole buckets) of one device or all; returns rows written."""
    target, m = ROLLUP_TABLES[resolution], device_metrics.c
    only = [target.c.device_id == device_id] if device_id else []
    await conn.execute(delete(target).where(target.c.bucket >= start, target.c.bucket < end, *only))
    rows = (
        select(
            m.device_id,
            bucket_expression(conn.dialect.name, m.timestamp, resolution).label("bucket"),
            *[m[name] for name in RANGED + AVERAGED],
            m.uptime_seconds,
        )
        .where(m.timestamp >= start, m.timestamp < end, *([m.device_id == device_id] if device_id else []))
        .subquery()
    )
    aggregates = [func.count()]
    for name in RANGED:
        aggregates += [func.min(rows.c[name]), func.max(rows.c[name]), func.avg(rows.c[name])]
    aggregates += [func.avg(rows.c[name]) for name in AVERAGED] + [func.max(rows.c.uptime_seconds)]
    query = select(rows.c.device_id, rows.c.bucket, *aggregates).group_by(rows.c.device_id, rows.c.bucket)
    return (await conn.execute(insert(target).from_select(ROLLUP_COLUMNS, query))).rowcount


def bucket_expression(dialect: str, column, resolution: Resolution):
    """SQL for the bucket start of a timestamp column. Constants are inlined: PostgreSQL cannot tell
    that two bound parameters in SELECT and GROUP BY are the same expression."""
    if dialect == "sqlite":
        # Stored as naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff': keep the minute (or hour) and zero the rest.
        keep, zeros = (16, ":00.000000") if resolution is Resolution.MINUTE else (13, ":00:00.000000")
        return func.substr(column, literal_column("1"), literal_column(str(keep))).op("||")(
            literal_column(f"'{zeros}'")
        )
    unit = "minute" if resolution is Resolution.MINUTE else "hour"
    utc = literal_column("'UTC'")  # truncate in UTC whatever the session's time zone (India is +05:30)
    return func.date_trunc(literal_column(f"'{unit}'"), column.op("AT TIME ZONE")(utc)).op("AT TIME ZONE")(
        utc
    )
