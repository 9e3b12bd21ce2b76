"""SQLAlchemy repositories: filtering, counting and paging happen in SQL."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.tables import device_metrics, edge_devices
from domain.devices import Device, MetricSample
from domain.pagination import Page, PageRequest
from ports.repositories import DeviceFilter, TimeWindow


class SqlDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, device: Device) -> None:
        self._session.add(device)

    async def get(self, device_id: str) -> Device | None:
        return await self._session.get(Device, device_id)

    async def list(self, filters: DeviceFilter, page: PageRequest) -> Page[Device]:
        conditions = _device_conditions(filters)
        total = await self._session.scalar(select(func.count()).select_from(edge_devices).where(*conditions))
        rows = await self._session.scalars(
            select(Device).where(*conditions).order_by(edge_devices.c.id).limit(page.limit).offset(page.offset)
        )
        return Page(items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)


def _device_conditions(filters: DeviceFilter) -> list:
    columns = edge_devices.c
    conditions = []
    if not filters.include_decommissioned:
        conditions.append(columns.decommissioned_at.is_(None))
    if filters.platform is not None:
        conditions.append(columns.platform == filters.platform)
    if filters.status is not None:
        conditions.append(columns.status == filters.status)
    if filters.location is not None:
        conditions.append(columns.location == filters.location)
    return conditions


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
