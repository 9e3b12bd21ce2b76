"""GET /api/v1/edge/audit: the audit trail for auditors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter, SkipValidation
from msgspec import Struct

from domain.access import Permission
from domain.audit import AuditRecord
from domain.errors import ValidationFailed
from domain.pagination import PageRequest
from entrypoints.http.auth import requires
from entrypoints.http.controllers.devices import as_utc
from entrypoints.http.params import Offset
from ports.audit import AuditFilter, AuditLog

AUDIT_PAGE_MAX = 500


class AuditEntry(Struct):
    id: int
    timestamp: datetime
    actor: str
    role: str
    action: str
    method: str
    path: str
    outcome: int
    device_id: str | None
    target: dict[str, Any]
    parameters: Any
    client_address: str | None
    request_id: str | None

    @classmethod
    def of(cls, r: AuditRecord) -> AuditEntry:
        return cls(
            r.saved_id,
            r.at,
            r.actor,
            r.role,
            r.action,
            r.method,
            r.path,
            r.outcome,
            r.device_id,
            r.target or {},
            r.parameters,
            r.client_address,
            r.request_id,
        )


class AuditPage(Struct):
    entries: list[AuditEntry]
    total: int
    limit: int
    offset: int


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]

    @get("/", operation_id="searchAudit", guards=[requires(Permission.AUDIT_READ)])
    async def search(
        self,
        audit_log: NamedDependency[SkipValidation[AuditLog]],  # a Protocol: no isinstance check
        start_time: FromQuery[datetime | None] = None,
        end_time: FromQuery[datetime | None] = None,
        actor: Annotated[str | None, QueryParameter(max_length=255)] = None,
        device_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=AUDIT_PAGE_MAX)] = 50,
        offset: Offset = 0,
    ) -> AuditPage:
        start, end = as_utc(start_time), as_utc(end_time)
        if start and end and start > end:
            raise ValidationFailed("start_time must not be after end_time")
        page = await audit_log.search(
            AuditFilter(start, end, actor, device_id, action),
            PageRequest.checked(limit, offset, AUDIT_PAGE_MAX),
        )
        return AuditPage([AuditEntry.of(r) for r in page.items], page.total, page.limit, page.offset)
