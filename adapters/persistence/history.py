"""A device's metric history at a chosen resolution, newest first and paged in SQL.

Rollup buckets overlapping the window are returned (a bucket starting before ``start`` but ending
after it counts). Rows are read as plain columns, not ORM objects: a page of rollups is a few
hundred tuples and needs no identity map.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from adapters.persistence.rollup_tables import ROLLUP_TABLES
from adapters.persistence.tables import device_metrics, edge_devices
from domain.metrics_history import AVERAGED, RANGED, MetricPoint, Resolution, bucket_start
from domain.pagination import PageRequest
from ports.repositories import TimeWindow

_RAW_FIELDS = ("timestamp", *RANGED, "status", "uptime_seconds", *AVERAGED)


async def read_history(
    db: AsyncSession | AsyncConnection,
    device_id: str,
    window: TimeWindow,
    page: PageRequest,
    resolution: Resolution,
    *,
    active_device_only: bool = False,
) -> list[MetricPoint]:
    """``resolution`` is a concrete one; "auto" is decided by the use case (domain.metrics_history).
    ``active_device_only``: nothing for a decommissioned device (checked in the same statement)."""
    query = (
        _raw(device_id, window) if resolution is Resolution.RAW else _rollup(device_id, window, resolution)
    )
    if active_device_only:
        d = edge_devices.c
        query = query.where(exists().where(d.id == device_id, d.decommissioned_at.is_(None)))
    rows = await db.execute(query.limit(page.limit).offset(page.offset))
    if resolution is Resolution.RAW:  # columns in the point's field order: built positionally
        return [MetricPoint(*row) for row in rows]
    return [MetricPoint(**row._mapping) for row in rows]


def _raw(device_id: str, window: TimeWindow):
    m = device_metrics.c
    query = select(*[m[name] for name in _RAW_FIELDS]).where(m.device_id == device_id)
    if window.start is not None:
        query = query.where(m.timestamp >= window.start)
    if window.end is not None:
        query = query.where(m.timestamp <= window.end)
    return query.order_by(m.timestamp.desc(), m.id.desc())


def _rollup(device_id: str, window: TimeWindow, resolution: Resolution):
    r = ROLLUP_TABLES[resolution].c
    columns = [r.bucket.label("timestamp"), r.samples, r.uptime_seconds_max.label("uptime_seconds")]
    columns += [r[f"{name}_avg"].label(name) for name in RANGED + AVERAGED]
    columns += [r[f"{name}_{agg}"] for name in RANGED for agg in ("min", "max")]
    query = select(*columns).where(r.device_id == device_id)
    if window.start is not None:
        query = query.where(r.bucket >= bucket_start(window.start, resolution.width))
    if window.end is not None:
        query = query.where(r.bucket <= window.end)
    return query.order_by(r.bucket.desc())
