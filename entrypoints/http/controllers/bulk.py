"""POST /api/v1/edge/devices/bulk: one command (or attestation) per device, outcomes per id."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta, Struct

from domain.access import Permission
from domain.devices import DeviceStatus, Platform
from domain.errors import ValidationFailed
from domain.services.bulk import BULK_MAX, BulkOperations, DeviceOutcome
from domain.services.groups import GroupService
from entrypoints.http.auth import requires
from entrypoints.http.schemas.devices import DeviceId
from ports.repositories import DeviceFilter


class BulkFilter(Struct, forbid_unknown_fields=True):
    platform: Platform | None = None
    status: DeviceStatus | None = None
    location: Annotated[str, Meta(min_length=1, max_length=255)] | None = None


class BulkRequest(Struct, forbid_unknown_fields=True):
    operation: Annotated[str, Meta(max_length=32)]
    device_ids: Annotated[list[DeviceId], Meta(min_length=1, max_length=BULK_MAX)] | None = None
    filter: BulkFilter | None = None
    group: Annotated[str, Meta(min_length=1, max_length=64)] | None = None  # a device group's members
    parameters: dict[str, Any] = {}


class BulkResult(Struct):
    device_id: str
    success: bool
    status: str
    command_id: int | None
    reasons: list[str]
    error: dict[str, str] | None

    @classmethod
    def of(cls, o: DeviceOutcome) -> BulkResult:
        error = {"code": o.error_code, "message": o.message or ""} if o.error_code else None
        return cls(o.device_id, o.success, o.status, o.command_id, o.reasons, error)


class BulkResponse(Struct):
    operation: str
    total: int
    succeeded: int
    failed: int
    results: list[BulkResult]


class BulkController(Controller):
    path = "/devices/bulk"
    tags = ["devices"]

    @post("/", operation_id="bulkOperation", guards=[requires(Permission.COMMANDS_SAFE)], status_code=200)
    async def bulk(
        self,
        request: Request,
        data: JSONBody[BulkRequest],
        bulk: NamedDependency[BulkOperations],
        groups: NamedDependency[GroupService],
    ) -> BulkResponse:
        """``operation``: attest | reboot | status | update | diagnose | halt, for ``device_ids`` or a
        ``filter`` and/or ``group`` (at most 1000 devices). Commands are queued (follow each ``command_id``); attestation
        runs now through the batch verifier. Per-device failures do not fail the call."""
        filters = (
            DeviceFilter(data.filter.platform, data.filter.status, data.filter.location)
            if data.filter
            else None
        )
        if data.group is not None:  # the group's members, narrowed by the filter if one is given too
            if data.device_ids is not None:
                raise ValidationFailed("Give device_ids, or a filter and/or a group")
            filters = await groups.filter_for(data.group, filters)
        device_ids = await bulk.resolve(data.device_ids, filters)
        outcomes = await bulk.run(request.user, data.operation, device_ids, data.parameters)
        succeeded = sum(o.success for o in outcomes)
        return BulkResponse(
            data.operation,
            len(outcomes),
            succeeded,
            len(outcomes) - succeeded,
            [BulkResult.of(o) for o in outcomes],
        )
