"""MetricsMaintenance over SQL: rollups, partitions (PostgreSQL) and retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.retention import prepare_partitions, purge
from adapters.persistence.rollups import roll_up


class SqlMetricsMaintenance:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def roll_up(self, now: datetime) -> None:
        await roll_up(self._engine, now)

    async def apply_retention(self, now: datetime, raw_retention: timedelta) -> None:
        await prepare_partitions(self._engine, now.date())  # PostgreSQL: the coming days' partitions
        await purge(self._engine, now, raw_retention)
