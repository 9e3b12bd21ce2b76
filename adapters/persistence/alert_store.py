"""The alerts' SQL unit of work (one connection, one transaction), rule overrides and device counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.persistence.alert_tables import alert_rule_overrides
from adapters.persistence.alerts import SqlAlertRepository, SqlBreachRepository
from adapters.persistence.tables import device_counts
from domain.alert_rule_document import RuleOverride
from domain.devices import DeviceStatus
from domain.errors import StoreUnavailable

# What "the database cannot be reached" looks like from here: refused or dropped connections, a file that
# cannot be opened, an exhausted pool.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout, OSError)


class SqlAlertRuleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def overrides(self) -> list[RuleOverride]:
        c = alert_rule_overrides.c
        rows = await self._connection.execute(select(alert_rule_overrides).order_by(c.rule, c.platform))
        return [RuleOverride(row.rule, row.platform, dict(row.settings)) for row in rows]

    async def replace(self, overrides: list[RuleOverride], by: str, at: datetime) -> None:
        await self._connection.execute(delete(alert_rule_overrides))
        if overrides:
            await self._connection.execute(
                alert_rule_overrides.insert(),
                [
                    dict(rule=o.rule, platform=o.platform, settings=o.settings, updated_by=by, updated_at=at)
                    for o in overrides
                ],
            )


class SqlDeviceStatusCounts:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def status_counts(self) -> dict[DeviceStatus, int]:
        # device_counts is kept by triggers (migration 0002): a few rows to sum, never a fleet scan.
        c = device_counts.c
        query = select(c.status, func.sum(c.n)).where(c.retired.is_(False)).group_by(c.status)
        return {DeviceStatus(status): int(n or 0) for status, n in await self._connection.execute(query)}


class SqlAlertUnitOfWork:
    """Rolled back on exit unless committed; connection failures surface as StoreUnavailable."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def __aenter__(self) -> SqlAlertUnitOfWork:
        try:
            self._connection = await self._engine.connect()
            await self._connection.begin()
        except UNREACHABLE as exc:
            raise StoreUnavailable(f"Database unreachable: {type(exc).__name__}") from exc
        self.alerts = SqlAlertRepository(self._connection)
        self.breaches = SqlBreachRepository(self._connection)
        self.rules = SqlAlertRuleRepository(self._connection)
        self.devices = SqlDeviceStatusCounts(self._connection)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            await self._connection.close()  # rolls back anything uncommitted
        except UNREACHABLE as failure:
            exc = exc or failure
        if isinstance(exc, UNREACHABLE):
            raise StoreUnavailable(f"Database unreachable: {type(exc).__name__}") from exc

    async def commit(self) -> None:
        await self._connection.commit()

    async def rollback(self) -> None:
        await self._connection.rollback()
        await self._connection.begin()
