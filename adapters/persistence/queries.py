"""Fleet read queries in SQLAlchemy Core.

On SQLite a whole query runs in one hop to a worker thread over the synchronous driver: aiosqlite
pays a thread round trip per cursor operation, which costs more than the query itself. PostgreSQL
goes through asyncpg directly.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import datetime

from sqlalchemy import Engine, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.history import read_history
from adapters.persistence.seal_tables import seals
from adapters.persistence.tables import (
    attestation_keys,
    device_attestations,
    device_commands,
    device_counts,
    device_online_spans,
    edge_devices,
)
from domain.devices import AttestationState, DeviceRecord, DeviceStatus
from domain.metrics_history import MetricPoint, Resolution
from domain.pagination import Page, PageRequest
from domain.sealing import SealStatus
from domain.security import SecurityCounts
from domain.uptime import OnlineSpan
from ports.queries import DeviceView
from ports.repositories import DeviceFilter, TimeWindow

# Selected in the record's field order, so a row builds a record positionally (no mapping per row).
RECORD_COLUMNS = [edge_devices.c[f.name] for f in fields(DeviceRecord)]


def _seal_held(status: SealStatus):
    c = seals.c
    return exists().where(c.device_id == edge_devices.c.id, c.status == status).label(status.value)


# One round trip for the record and its seals; the spans (a handful of rows) come in a second only for
# a device that was ever seen.
_VIEW = select(*RECORD_COLUMNS, *(_seal_held(status) for status in SealStatus)).where(
    edge_devices.c.id == bindparam("device_id")
)
_SPANS = select(device_online_spans.c.started_at, device_online_spans.c.ended_at).where(
    device_online_spans.c.device_id == bindparam("device_id"),
    or_(device_online_spans.c.ended_at.is_(None), device_online_spans.c.ended_at > bindparam("since")),
)


def _search(filters: DeviceFilter):
    columns = edge_devices.c
    return or_(
        columns.id.icontains(filters.search, autoescape=True),
        columns.name.icontains(filters.search, autoescape=True),
    )


def _count_statement(filters: DeviceFilter):
    if filters.search is not None:  # the trigger-kept counts know no names: count the matching rows
        return _page_statement(filters, None).with_only_columns(func.count()).order_by(None)
    counts = device_counts.c
    statement = select(func.coalesce(func.sum(counts.n), 0))
    if not filters.include_decommissioned:
        statement = statement.where(counts.retired.is_(False))
    if filters.platform is not None:
        statement = statement.where(counts.platform == filters.platform.value)
    if filters.status is not None:
        statement = statement.where(counts.status == filters.status.value)
    if filters.location is not None:
        statement = statement.where(counts.location == filters.location)
    return statement


def _page_statement(filters: DeviceFilter, page: PageRequest | None):
    columns = edge_devices.c
    statement = select(*RECORD_COLUMNS)
    if not filters.include_decommissioned:
        statement = statement.where(columns.decommissioned_at.is_(None))
    if filters.platform is not None:
        statement = statement.where(columns.platform == filters.platform)
    if filters.status is not None:
        statement = statement.where(columns.status == filters.status)
    if filters.location is not None:
        statement = statement.where(columns.location == filters.location)
    if filters.search is not None:
        statement = statement.where(_search(filters))
    if page is None:
        return statement
    return statement.order_by(columns.id).limit(page.limit).offset(page.offset)


def _page(rows, total: int, page: PageRequest) -> Page[DeviceRecord]:
    return Page(
        items=[DeviceRecord(*row) for row in rows],
        total=int(total),
        limit=page.limit,
        offset=page.offset,
    )


def _security_statement(fresh_since: datetime):
    d, a, k = edge_devices.c, device_attestations.c, attestation_keys.c
    active = d.decommissioned_at.is_(None)
    latest = select(func.max(a.timestamp)).where(a.device_id == d.id).scalar_subquery()
    bound = (
        select(func.count())
        .select_from(attestation_keys.join(edge_devices, k.device_id == d.id))
        .where(k.activated.is_(True), active, d.tpm_enabled.is_(True))
        .scalar_subquery()
    )
    sealed = (
        select(func.count(func.distinct(seals.c.device_id)))
        .select_from(seals.join(edge_devices, seals.c.device_id == d.id))
        .where(seals.c.status == "active", active, d.tpm_enabled.is_(True))
        .scalar_subquery()
    )

    def count_where(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    return (
        select(
            func.count(),
            count_where(d.tee_enabled.is_(True), d.tpm_enabled.is_(True)),
            count_where(d.tpm_enabled.is_(True)),
            count_where(d.attestation_status == AttestationState.SUCCESS, latest >= fresh_since),
            bound,
            sealed,
        )
        .select_from(edge_devices)
        .where(active)
    )


def _security_counts(row) -> SecurityCounts:
    total, secure, tpm, fresh, bound, sealed = (int(v or 0) for v in row)
    return SecurityCounts(total, secure, tpm, fresh, sealed_devices=sealed, bound_devices=bound)


class SqlFleetQueries:
    def __init__(self, engine: AsyncEngine, sync_engine: Engine | None = None, threads: int = 4) -> None:
        # Reads need no transaction: autocommit spares each one a BEGIN and a ROLLBACK round trip.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sync_engine = sync_engine
        self._executor = (
            ThreadPoolExecutor(threads, thread_name_prefix="fleet-query") if sync_engine else None
        )

    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        if self._sync_engine is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._devices_sync, filters, page)
        async with self._engine.connect() as connection:
            total = await connection.scalar(_count_statement(filters))
            rows = await connection.execute(_page_statement(filters, page))
            return _page(rows, total, page)

    async def device_view(self, device_id: str, spans_since: datetime) -> DeviceView | None:
        width = len(RECORD_COLUMNS)
        async with self._engine.connect() as connection:
            row = (await connection.execute(_VIEW, {"device_id": device_id})).first()
            if row is None:
                return None
            record = DeviceRecord(*row[:width])
            held = frozenset(status for status, flag in zip(SealStatus, row[width:]) if flag)
            spans = []
            if record.last_heartbeat is not None:
                found = await connection.execute(_SPANS, {"device_id": device_id, "since": spans_since})
                spans = [OnlineSpan(started, ended) for started, ended in found]
        return DeviceView(record, held, spans)

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        resolution: Resolution,
        include_decommissioned: bool = False,
    ) -> list[MetricPoint] | None:
        async with self._engine.connect() as connection:
            points = await read_history(
                connection, device_id, window, page, resolution, active_device_only=not include_decommissioned
            )
            if points:
                return points  # the device exists and may be seen: one round trip
            visible = select(edge_devices.c.id).where(edge_devices.c.id == device_id)
            if not include_decommissioned:
                visible = visible.where(edge_devices.c.decommissioned_at.is_(None))
            return [] if await connection.scalar(visible) is not None else None

    async def security_counts(self, fresh_since: datetime) -> SecurityCounts:
        async with self._engine.connect() as connection:
            return _security_counts((await connection.execute(_security_statement(fresh_since))).one())

    async def operational_counts(self) -> dict[str, int]:
        counts = device_counts.c
        async with self._engine.connect() as connection:
            by_status = await connection.execute(
                select(counts.status, func.sum(counts.n))
                .where(counts.retired.is_(False))
                .group_by(counts.status)
            )
            result = {status: int(n or 0) for status, n in by_status}
            result["queued_commands"] = int(
                await connection.scalar(
                    select(func.count())
                    .select_from(device_commands)
                    .where(device_commands.c.status == "queued")
                )
                or 0
            )
        return result

    async def device_breakdown(self) -> list[tuple[str, str, str | None, int]]:
        counts = device_counts.c
        query = (
            select(counts.platform, counts.status, counts.location, func.sum(counts.n))
            .where(counts.retired.is_(False))
            .group_by(counts.platform, counts.status, counts.location)
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return [
                (platform, status, location or None, int(n)) for platform, status, location, n in rows if n
            ]

    async def due_for_attestation(self, attested_before: datetime, limit: int) -> list[str]:
        d, k, a = edge_devices.c, attestation_keys.c, device_attestations.c
        latest = select(func.max(a.timestamp)).where(a.device_id == d.id).scalar_subquery()
        query = (
            select(d.id)
            .select_from(edge_devices.join(attestation_keys, k.device_id == d.id))
            .where(
                k.activated.is_(True),
                d.tpm_enabled.is_(True),
                d.decommissioned_at.is_(None),
                d.status.in_([DeviceStatus.ONLINE, DeviceStatus.DEGRADED]),
                or_(latest.is_(None), latest < attested_before),
            )
            .order_by(latest.is_not(None), latest)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            return list(await connection.scalars(query))

    def _devices_sync(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        with self._sync_engine.connect() as connection:
            total = connection.scalar(_count_statement(filters))
            return _page(connection.execute(_page_statement(filters, page)), total, page)

    def invalidate(self) -> None:
        """Nothing cached here; see CachedFleetQueries."""

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        if self._sync_engine is not None:
            self._sync_engine.dispose()
