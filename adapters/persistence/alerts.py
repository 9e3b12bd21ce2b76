"""SQL alert and breach repositories in SQLAlchemy Core over the unit of work's connection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.persistence.alert_tables import alert_breaches, alerts
from domain.alert_evaluation import Breach
from domain.alert_rules import RuleName, Severity
from domain.alerts import OPEN, Alert
from domain.errors import Conflict
from domain.pagination import Page, PageRequest
from ports.alerts import AlertFilter

_CHANGEABLE = (
    "severity",
    "status",
    "message",
    "value",
    "threshold",
    "updated_at",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_at",
)
_NEWEST_FIRST = (alerts.c.started_at.desc(), alerts.c.id.desc())


def _alert(row) -> Alert:
    return Alert(**row._mapping)


def _where(filters: AlertFilter) -> list:
    c = alerts.c
    conditions = [c.status.in_(sorted(filters.statuses))]
    if filters.severities is not None:
        conditions.append(c.severity.in_(sorted(filters.severities)))
    if filters.device_id is not None:
        conditions.append(c.device_id == filters.device_id)
    return conditions


class SqlAlertRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, alert: Alert) -> None:
        row = {column.name: getattr(alert, column.name) for column in alerts.columns if column.name != "id"}
        try:
            result = await self._connection.execute(alerts.insert().values(**row))
        except IntegrityError as exc:  # the caller retries in a fresh unit of work
            raise Conflict("An open alert of this rule already exists for the device") from exc
        alert.id = result.inserted_primary_key[0]

    async def save(self, alert: Alert) -> None:
        values = {name: getattr(alert, name) for name in _CHANGEABLE}
        await self._connection.execute(update(alerts).where(alerts.c.id == alert.id).values(**values))

    async def get(self, alert_id: int) -> Alert | None:
        query = select(alerts).where(alerts.c.id == alert_id).with_for_update()
        row = (await self._connection.execute(query)).first()
        return _alert(row) if row else None

    async def open_for_device(self, device_id: str) -> list[Alert]:
        # Locked: two workers settling one device's alerts take turns (PostgreSQL; SQLite has one writer).
        query = select(alerts).where(alerts.c.device_id == device_id, alerts.c.status.in_(sorted(OPEN)))
        return [_alert(row) for row in await self._connection.execute(query.with_for_update())]

    async def open_of_rule(
        self, rule: RuleName, severities: frozenset[Severity], started_before: datetime, limit: int
    ) -> list[Alert]:
        c = alerts.c
        query = (
            select(alerts)
            .where(
                c.rule == rule,
                c.status.in_(sorted(OPEN)),
                c.severity.in_(sorted(severities)),
                c.started_at < started_before,
            )
            .order_by(c.started_at, c.id)
            .limit(limit)
            .with_for_update()
        )
        return [_alert(row) for row in await self._connection.execute(query)]

    async def list(self, filters: AlertFilter, page: PageRequest) -> Page[Alert]:
        conditions = _where(filters)
        total = await self._connection.scalar(select(func.count()).select_from(alerts).where(*conditions))
        query = select(alerts).where(*conditions).order_by(*_NEWEST_FIRST)
        rows = await self._connection.execute(query.limit(page.limit).offset(page.offset))
        return Page([_alert(row) for row in rows], int(total or 0), page.limit, page.offset)

    async def open_counts(self) -> dict[Severity, int]:
        query = (
            select(alerts.c.severity, func.count())
            .where(alerts.c.status.in_(sorted(OPEN)))
            .group_by(alerts.c.severity)
        )
        return {severity: int(n) for severity, n in await self._connection.execute(query)}


class SqlBreachRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def for_device(self, device_id: str) -> dict[RuleName, Breach]:
        query = select(alert_breaches).where(alert_breaches.c.device_id == device_id)
        rows = await self._connection.execute(query)
        return {row.rule: Breach(row.warning_since, row.critical_since) for row in rows}

    async def put(self, device_id: str, rule: RuleName, breach: Breach | None) -> None:
        key = (alert_breaches.c.device_id == device_id) & (alert_breaches.c.rule == rule)
        if breach is None:
            await self._connection.execute(delete(alert_breaches).where(key))
            return
        values = {"warning_since": breach.warning_since, "critical_since": breach.critical_since}
        changed = await self._connection.execute(update(alert_breaches).where(key).values(**values))
        if changed.rowcount == 0:
            try:
                insert = alert_breaches.insert().values(device_id=device_id, rule=rule, **values)
                await self._connection.execute(insert)
            except IntegrityError as exc:  # another worker inserted it first
                raise Conflict("Breach state changed concurrently") from exc
