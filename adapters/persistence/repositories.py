"""SQLAlchemy repositories: filtering, counting and paging happen in SQL."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.tables import device_metrics
from domain.devices import Device, MetricSample
from domain.pagination import Page, PageRequest
from ports.repositories import TimeWindow


class SqlDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, device: Device) -> None:
        self._session.add(device)

    async def get(self, device_id: str) -> Device | None:
        return await self._session.get(Device, device_id)


class SqlMetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, sample: MetricSample) -> None:
        self._session.add(sample)

    async def history(self, device_id: str, window: TimeWindow, page: PageRequest) -> list[MetricSample]:
        columns = device_metrics.c
        query = select(MetricSample).where(columns.device_id == device_id)
        if window.start is not None:
            query = query.where(columns.timestamp >= window.start)
        if window.end is not None:
            query = query.where(columns.timestamp <= window.end)
        query = query.order_by(columns.timestamp.desc(), columns.id.desc()).limit(page.limit).offset(page.offset)
        return list(await self._session.scalars(query))
