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
from functools import lru_cache

import msgspec
from sqlalchemy import Engine, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.group_queries import group_values, with_group_filters
from adapters.persistence.history import history_shape, history_statement, history_values, read_history
from adapters.persistence.pg_reads import PgReads
from adapters.persistence.seal_tables import seals
from adapters.persistence.tables import (
    attestation_keys,
    device_attestations,
    device_commands,
    device_counts,
    device_online_spans,
    edge_devices,
)
from domain.devices import AttestationState, DeviceRecord, DeviceStatus, Platform
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


# One statement for the record and its seals, a second for its online spans (a handful of rows; none
# for a device never seen).
_VIEW = select(*RECORD_COLUMNS, *(_seal_held(status) for status in SealStatus)).where(
    edge_devices.c.id == bindparam("device_id")
)
_SPANS = select(device_online_spans.c.started_at, device_online_spans.c.ended_at).where(
    device_online_spans.c.device_id == bindparam("device_id"),
    or_(device_online_spans.c.ended_at.is_(None), device_online_spans.c.ended_at > bindparam("since")),
)


def _search():
    columns = edge_devices.c
    term = bindparam("search")  # escaped by _listing_values, as autoescape would
    return or_(columns.id.icontains(term, escape="/"), columns.name.icontains(term, escape="/"))


def _shape(filters: DeviceFilter) -> tuple:
    """What decides a listing's SQL: which filters are set, not their values."""
    return (
        filters.include_decommissioned,
        filters.platform is not None,
        filters.status is not None,
        filters.location is not None,
        filters.search is not None,
        filters.model is not None,
        filters.firmware_version is not None,
        filters.tag is not None,
    )


def _listing_values(filters: DeviceFilter, page: PageRequest | None = None) -> dict:
    values: dict = {"limit": page.limit, "offset": page.offset} if page else {}
    if filters.platform is not None:
        values["platform"] = filters.platform.value
    if filters.status is not None:
        values["status"] = filters.status.value
    if filters.location is not None:
        values["location"] = filters.location
    if filters.search is not None:
        values["search"] = filters.search.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return values | group_values(filters)


@lru_cache(maxsize=2)
def _visible(include_decommissioned: bool):
    statement = select(edge_devices.c.id).where(edge_devices.c.id == bindparam("device_id"))
    if not include_decommissioned:
        statement = statement.where(edge_devices.c.decommissioned_at.is_(None))
    return statement


def _equal(columns, platform: bool, status: bool, location: bool) -> list:
    """The listing's equality filters, on the devices or on their counts (same column names)."""
    wanted = (("platform", platform), ("status", status), ("location", location))
    return [columns[name] == bindparam(name) for name, on in wanted if on]


@lru_cache(maxsize=64)
def _count_statement(shape: tuple):
    retired, platform, status, location, search, *grouped = shape
    if search or any(grouped):  # the trigger-kept counts know no names or tags: count the matching rows
        return _filtered(shape).with_only_columns(func.count()).order_by(None)
    counts = device_counts.c
    statement = select(func.coalesce(func.sum(counts.n), 0)).where(
        *_equal(counts, platform, status, location)
    )
    return statement if retired else statement.where(counts.retired.is_(False))


def _filtered(shape: tuple):
    retired, platform, status, location, search, *grouped = shape
    columns = edge_devices.c
    statement = select(*RECORD_COLUMNS).where(*_equal(columns, platform, status, location))
    if not retired:
        statement = statement.where(columns.decommissioned_at.is_(None))
    if search:
        statement = statement.where(_search())
    return with_group_filters(statement, *grouped)


@lru_cache(maxsize=64)
def _page_statement(shape: tuple):
    columns = edge_devices.c
    return _filtered(shape).order_by(columns.id).limit(bindparam("limit")).offset(bindparam("offset"))


_PLATFORM, _STATUS, _ATTESTED, _CAPABILITIES = (
    [c.name for c in RECORD_COLUMNS].index(name)
    for name in ("platform", "status", "attestation_status", "capabilities")
)


def _pg_record(row) -> DeviceRecord:
    """A record from an asyncpg row: enums from their stored values, the JSON column decoded (the
    column types that do this on SQLAlchemy's path are not on asyncpg's)."""
    values = list(row[: len(RECORD_COLUMNS)])
    values[_PLATFORM] = Platform(values[_PLATFORM])
    values[_STATUS] = DeviceStatus(values[_STATUS])
    values[_ATTESTED] = AttestationState(values[_ATTESTED])
    if values[_CAPABILITIES] is not None:
        values[_CAPABILITIES] = msgspec.json.decode(values[_CAPABILITIES])
    return DeviceRecord(*values)


_POINT_STATUS = [f.name for f in fields(MetricPoint)].index("status")


def _pg_point(row, resolution: Resolution) -> MetricPoint:
    if resolution is not Resolution.RAW:
        return MetricPoint(**row)
    values = list(row)
    if values[_POINT_STATUS] is not None:
        values[_POINT_STATUS] = DeviceStatus(values[_POINT_STATUS])
    return MetricPoint(*values)


def _page(records: list[DeviceRecord], total: int, page: PageRequest) -> Page[DeviceRecord]:
    return Page(items=records, total=int(total), limit=page.limit, offset=page.offset)


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
    def __init__(
        self,
        engine: AsyncEngine,
        sync_engine: Engine | None = None,
        threads: int = 4,
        pg: PgReads | None = None,
    ) -> None:
        """``sync_engine``: SQLite's listings in one thread hop; ``pg``: PostgreSQL's hot reads."""
        # Reads need no transaction: autocommit spares each one a BEGIN and a ROLLBACK round trip.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pg = pg
        self._sync_engine = sync_engine
        self._executor = (
            ThreadPoolExecutor(threads, thread_name_prefix="fleet-query") if sync_engine else None
        )

    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        shape, values = _shape(filters), _listing_values(filters, page)
        if self._pg is not None:
            count, rows = await self._pg.fetch_each([_count_statement(shape), _page_statement(shape)], values)
            return _page([_pg_record(row) for row in rows], count[0][0], page)
        if self._sync_engine is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._devices_sync, shape, values, page)
        async with self._engine.connect() as connection:
            total = await connection.scalar(_count_statement(shape), values)
            rows = await connection.execute(_page_statement(shape), values)
            return _page([DeviceRecord(*row) for row in rows], total, page)

    async def device_view(self, device_id: str, spans_since: datetime) -> DeviceView | None:
        width, values = len(RECORD_COLUMNS), {"device_id": device_id, "since": spans_since}
        if self._pg is not None:
            rows, spans = await self._pg.fetch_each([_VIEW, _SPANS], values)  # one checkout for both
            if not rows:
                return None
            record, flags = _pg_record(rows[0]), rows[0][width:]
        else:
            async with self._engine.connect() as connection:
                row = (await connection.execute(_VIEW, values)).first()
                if row is None:
                    return None
                record, flags = DeviceRecord(*row[:width]), row[width:]
                spans = list(await connection.execute(_SPANS, values))
        held = frozenset(status for status, flag in zip(SealStatus, flags) if flag)
        return DeviceView(record, held, [OnlineSpan(started, ended) for started, ended in spans])

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        resolution: Resolution,
        include_decommissioned: bool = False,
    ) -> list[MetricPoint] | None:
        if self._pg is not None:
            shape = history_shape(window, resolution, not include_decommissioned)
            values = history_values(device_id, window, page, resolution)
            rows = await self._pg.fetch(history_statement(*shape), values)
            if rows:
                return [_pg_point(row, resolution) for row in rows]
            visible = await self._pg.fetch(_visible(include_decommissioned), values)
            return [] if visible else None
        async with self._engine.connect() as connection:
            points = await read_history(
                connection, device_id, window, page, resolution, active_device_only=not include_decommissioned
            )
            if points:
                return points  # the device exists and may be seen: one round trip
            found = await connection.scalar(_visible(include_decommissioned), {"device_id": device_id})
            return [] if found is not None else None

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

    def _devices_sync(self, shape: tuple, values: dict, page: PageRequest) -> Page[DeviceRecord]:
        with self._sync_engine.connect() as connection:
            total = connection.scalar(_count_statement(shape), values)
            rows = connection.execute(_page_statement(shape), values)
            return _page([DeviceRecord(*row) for row in rows], total, page)

    def invalidate_devices(self, device_ids: list[str]) -> None:
        """Nothing cached here."""

    def invalidate(self) -> None:
        """Nothing cached here; see CachedFleetQueries."""

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        if self._sync_engine is not None:
            self._sync_engine.dispose()
