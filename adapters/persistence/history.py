"""A device's metric history at a chosen resolution, newest first and paged in SQL.

Rollup buckets overlapping the window are returned (a bucket starting before ``start`` but ending
after it counts). Rows are read as plain columns, not ORM objects: a page of rollups is a few
hundred tuples and needs no identity map.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, exists, select
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
    shape = history_shape(window, resolution, active_device_only)
    rows = await db.execute(history_statement(*shape), history_values(device_id, window, page, resolution))
    if resolution is Resolution.RAW:  # columns in the point's field order: built positionally
        return [MetricPoint(*row) for row in rows]
    return [MetricPoint(**row._mapping) for row in rows]


def history_shape(window: TimeWindow, resolution: Resolution, active_device_only: bool) -> tuple:
    """What decides the statement: the resolution, which ends the window has, the visibility check."""
    return resolution, window.start is not None, window.end is not None, active_device_only


def history_values(device_id: str, window: TimeWindow, page: PageRequest, resolution: Resolution) -> dict:
    values = {"device_id": device_id, "limit": page.limit, "offset": page.offset}
    if window.start is not None:
        values["start"] = (
            window.start if resolution is Resolution.RAW else bucket_start(window.start, resolution.width)
        )
    if window.end is not None:
        values["end"] = window.end
    return values


@lru_cache(maxsize=64)
def history_statement(resolution: Resolution, has_start: bool, has_end: bool, active_device_only: bool):
    query = (
        _raw(has_start, has_end) if resolution is Resolution.RAW else _rollup(resolution, has_start, has_end)
    )
    if active_device_only:
        d = edge_devices.c
        query = query.where(exists().where(d.id == bindparam("device_id"), d.decommissioned_at.is_(None)))
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


def _raw(has_start: bool, has_end: bool):
    m = device_metrics.c
    query = select(*[m[name] for name in _RAW_FIELDS]).where(m.device_id == bindparam("device_id"))
    if has_start:
        query = query.where(m.timestamp >= bindparam("start"))
    if has_end:
        query = query.where(m.timestamp <= bindparam("end"))
    return query.order_by(m.timestamp.desc(), m.id.desc())


def _rollup(resolution: Resolution, has_start: bool, has_end: bool):
    r = ROLLUP_TABLES[resolution].c
    columns = [r.bucket.label("timestamp"), r.samples, r.uptime_seconds_max.label("uptime_seconds")]
    columns += [r[f"{name}_avg"].label(name) for name in RANGED + AVERAGED]
    columns += [r[f"{name}_{agg}"] for name in RANGED for agg in ("min", "max")]
    query = select(*columns).where(r.device_id == bindparam("device_id"))
    if has_start:
        query = query.where(r.bucket >= bindparam("start"))
    if has_end:
        query = query.where(r.bucket <= bindparam("end"))
    return query.order_by(r.bucket.desc())
