"""The audit log in SQL (Core: records are written once and only read back)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.tables import audit_log
from domain.audit import AuditRecord
from domain.pagination import Page, PageRequest
from ports.audit import AuditFilter

COLUMNS = (
    "at",
    "actor",
    "role",
    "action",
    "method",
    "path",
    "outcome",
    "device_id",
    "target",
    "parameters",
    "client_address",
    "request_id",
)


class SqlAuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, record: AuditRecord) -> None:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                audit_log.insert().values({c: getattr(record, c) for c in COLUMNS})
            )
            record.id = result.inserted_primary_key[0]

    async def search(self, filters: AuditFilter, page: PageRequest) -> Page[AuditRecord]:
        c = audit_log.c
        conditions = []
        if filters.start is not None:
            conditions.append(c.at >= filters.start)
        if filters.end is not None:
            conditions.append(c.at <= filters.end)
        for column, value in (
            (c.actor, filters.actor),
            (c.device_id, filters.device_id),
            (c.action, filters.action),
        ):
            if value is not None:
                conditions.append(column == value)
        query = select(audit_log).where(*conditions).order_by(c.at.desc(), c.id.desc())
        async with self._engine.connect() as connection:
            total = await connection.scalar(select(func.count()).select_from(audit_log).where(*conditions))
            rows = await connection.execute(query.limit(page.limit).offset(page.offset))
            items = [AuditRecord(**{k: row._mapping[k] for k in COLUMNS}, id=row.id) for row in rows]
        return Page(items, total or 0, page.limit, page.offset)
