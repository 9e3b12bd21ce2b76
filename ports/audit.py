from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.audit import AuditRecord
from domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class AuditFilter:
    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    device_id: str | None = None
    action: str | None = None


class AuditLog(Protocol):
    async def append(self, record: AuditRecord) -> None:
        """Store the record in its own transaction; records are never changed afterwards."""
        ...

    async def search(self, filters: AuditFilter, page: PageRequest) -> Page[AuditRecord]:
        """Newest first."""
        ...
