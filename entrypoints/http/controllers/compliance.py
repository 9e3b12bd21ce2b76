"""GET /api/v1/edge/security/compliance (contract shape, plus paging and the failing checks)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from msgspec import Struct

from domain.access import Permission
from domain.compliance import ComplianceReport
from domain.devices import Platform
from domain.pagination import PageRequest
from domain.services.compliance import ComplianceReview
from entrypoints.http.auth import requires
from entrypoints.http.params import Offset
from ports.repositories import DeviceFilter


class DeviceCompliance(Struct):
    device_id: str
    tee_status: str
    tpm_status: str
    encryption_status: str
    compliance_score: int
    last_check: datetime | None
    failing: list[str]

    @classmethod
    def of(cls, r: ComplianceReport) -> DeviceCompliance:
        return cls(
            r.device_id,
            r.tee_status,
            r.tpm_status,
            r.encryption_status,
            r.compliance_score,
            r.last_check,
            list(r.failing),
        )


class CompliancePage(Struct):
    devices: list[DeviceCompliance]
    total: int
    limit: int
    offset: int


class ComplianceController(Controller):
    path = "/security/compliance"
    tags = ["security"]

    @get("/", operation_id="getCompliance", guards=[requires(Permission.COMPLIANCE_READ)])
    async def compliance(
        self,
        compliance: NamedDependency[ComplianceReview],
        platform: FromQuery[Platform | None] = None,
        location: Annotated[str | None, QueryParameter(min_length=1, max_length=255)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Offset = 0,
    ) -> CompliancePage:
        page = await compliance.review(
            DeviceFilter(platform=platform, location=location), PageRequest.checked(limit, offset, 100)
        )
        return CompliancePage(
            [DeviceCompliance.of(r) for r in page.items], page.total, page.limit, page.offset
        )
