"""Online spans in SQL (Core): one open row per reachable device, closed when it goes offline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.tables import device_online_spans, edge_devices
from domain.uptime import OnlineSpan

spans_c, devices_c = device_online_spans.c, edge_devices.c


def _recent(since: datetime):
    return or_(spans_c.ended_at.is_(None), spans_c.ended_at > since)


class SqlUptimeLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def went_online(self, device_id: str, at: datetime) -> None:
        async with self._engine.begin() as connection:
            open_span = await connection.scalar(
                select(spans_c.id).where(spans_c.device_id == device_id, spans_c.ended_at.is_(None)).limit(1)
            )
            if open_span is None:
                await connection.execute(
                    device_online_spans.insert().values(device_id=device_id, started_at=at)
                )

    async def went_offline(self, device_id: str, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(device_online_spans)
                .where(spans_c.device_id == device_id, spans_c.ended_at.is_(None))
                .values(ended_at=at)
            )

    async def spans(self, device_id: str, since: datetime) -> list[OnlineSpan]:
        query = select(spans_c.started_at, spans_c.ended_at).where(
            spans_c.device_id == device_id, _recent(since)
        )
        async with self._engine.connect() as connection:
            return [OnlineSpan(row.started_at, row.ended_at) for row in await connection.execute(query)]

    async def fleet_spans(self, since: datetime) -> list[tuple[datetime | None, list[OnlineSpan]]]:
        query = (
            select(devices_c.id, devices_c.created_at, spans_c.started_at, spans_c.ended_at)
            .select_from(
                edge_devices.outerjoin(
                    device_online_spans, (spans_c.device_id == devices_c.id) & _recent(since)
                )
            )
            .where(devices_c.decommissioned_at.is_(None), devices_c.last_heartbeat.is_not(None))
        )
        devices: dict[str, tuple[datetime | None, list[OnlineSpan]]] = {}
        async with self._engine.connect() as connection:
            for row in await connection.execute(query):
                _, spans = devices.setdefault(row.id, (row.created_at, []))
                if row.started_at is not None:
                    spans.append(OnlineSpan(row.started_at, row.ended_at))
        return list(devices.values())
