"""Device inventory endpoints (/api/v1/edge/devices)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from domain.access import Permission, Principal
from domain.devices import DeviceStatus, Platform
from domain.metrics_history import Resolution
from domain.pagination import Page, PageRequest
from domain.services.devices import DeviceInventory, Viewer
from domain.services.groups import GroupService
from domain.services.uptime import UptimeService
from entrypoints.http.auth import requires
from entrypoints.http.params import Offset
from entrypoints.http.schemas.devices import (
    DeviceCreate,
    DeviceDetail,
    DeviceHistory,
    DeviceList,
    DeviceSummary,
    DeviceUpdate,
    HistoryPoint,
)
from ports.repositories import DeviceFilter, TimeWindow

Inventory = NamedDependency[DeviceInventory]
Uptimes = NamedDependency[UptimeService]
Groups = NamedDependency[GroupService]
Exact = Annotated[str | None, QueryParameter(min_length=1, max_length=255)]
DEVICE_PAGE_MAX = 100
HISTORY_PAGE_MAX = 1000
RESOLUTION_DOC = (
    "raw: samples as reported (kept EDGEFLEET_METRICS_RETENTION, default 7 days); 1m / 1h: rollups, the "
    "average as the value plus min/max and the sample count (kept 30 / 400 days); auto (default): raw "
    "without start_time or for windows up to 6 h, 1m up to 7 days, 1h beyond, and the next coarser table "
    "when the window starts before a table's retention"
)


def viewer_of(request: Request) -> Viewer:
    principal: Principal = request.user
    return Viewer(sees_decommissioned=principal.may(Permission.DECOMMISSIONED_READ))


def as_utc(value: datetime | None) -> datetime | None:
    """ISO timestamps without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_RENDERED: OrderedDict[int, tuple[Page, bytes]] = OrderedDict()
_ENCODER = msgspec.json.Encoder()


def _rendered(page: Page) -> bytes:
    """The listing for ``page`` as JSON; a page served from the list cache is encoded once, not per request."""
    hit = _RENDERED.get(id(page))
    if hit is not None and hit[0] is page:
        return hit[1]
    body = _ENCODER.encode(
        DeviceList([DeviceSummary.of(d) for d in page.items], page.total, page.limit, page.offset)
    )
    _RENDERED[id(page)] = (page, body)  # holding the page keeps its id from being reused
    if len(_RENDERED) > 256:
        _RENDERED.popitem(last=False)
    return body


class DeviceController(Controller):
    path = "/devices"
    tags = ["devices"]

    @get("/", operation_id="listDevices", guards=[requires(Permission.DEVICES_READ)])
    async def list_devices(
        self,
        request: Request,
        inventory: Inventory,
        groups: Groups,
        platform: FromQuery[Platform | None] = None,
        status: FromQuery[DeviceStatus | None] = None,
        location: Annotated[str | None, QueryParameter(min_length=1, max_length=255)] = None,
        include_decommissioned: FromQuery[bool] = False,
        q: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=64, description="case-insensitive part of the id or name"
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=DEVICE_PAGE_MAX)] = 20,
        offset: Offset = 0,
        model: Exact = None,
        firmware_version: Exact = None,
        tag: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        group: Annotated[
            str | None, QueryParameter(min_length=1, max_length=64, description="a device group's members")
        ] = None,
    ) -> Response[DeviceList]:
        if include_decommissioned and not viewer_of(request).sees_decommissioned:
            raise PermissionDeniedException("Only auditors and admins may list decommissioned devices")
        filters = DeviceFilter(
            platform, status, location, include_decommissioned, q, model, firmware_version, tag
        )
        if group is not None:
            filters = await groups.filter_for(group, filters)
        page = await inventory.list(filters, PageRequest.checked(limit, offset, DEVICE_PAGE_MAX))
        # Pre-encoded bytes (the listing's hot path); the annotation gives OpenAPI the shape.
        return Response(_rendered(page), media_type=MediaType.JSON)  # type: ignore[arg-type]

    @post("/", operation_id="registerDevice", guards=[requires(Permission.DEVICES_WRITE)])
    async def register_device(self, data: JSONBody[DeviceCreate], inventory: Inventory) -> DeviceDetail:
        device = await inventory.register(data.to_device())
        return DeviceDetail.of(device, await inventory.seal_status(device.id))

    @get("/{device_id:str}", operation_id="getDevice", guards=[requires(Permission.DEVICES_READ)])
    async def get_device(
        self, request: Request, device_id: FromPath[str], inventory: Inventory
    ) -> DeviceDetail:
        details = await inventory.details(device_id, viewer_of(request))
        return DeviceDetail.of(details.record, details.seal_status, details.uptime)

    @patch("/{device_id:str}", operation_id="updateDevice", guards=[requires(Permission.DEVICES_WRITE)])
    async def update_device(
        self,
        device_id: FromPath[str],
        data: JSONBody[DeviceUpdate],
        inventory: Inventory,
        uptime: Uptimes,
        groups: Groups,
    ) -> DeviceDetail:
        """``tags`` (static group membership) replace the device's tags; the answer then lists them."""
        changes = data.changes()
        tags = changes.pop("tags", None)
        if changes or tags is None:
            device = await inventory.update(device_id, changes)
        else:
            device = await inventory.get(device_id)  # 404 for an unknown device before any write
        if tags is not None:  # a separate table: written after the fields, both checked first
            await groups.set_tags(device_id, tags)
        detail = DeviceDetail.of(
            device, await inventory.seal_status(device_id), await uptime.of_device(device)
        )
        if tags is not None:
            detail.tags = await groups.tags_of(device_id)
        return detail

    @delete(
        "/{device_id:str}", operation_id="decommissionDevice", guards=[requires(Permission.DEVICES_WRITE)]
    )
    async def decommission_device(self, device_id: FromPath[str], inventory: Inventory) -> None:
        await inventory.decommission(device_id)

    @get(
        "/{device_id:str}/history",
        operation_id="getDeviceHistory",
        guards=[requires(Permission.METRICS_READ)],
    )
    async def device_history(
        self,
        request: Request,
        device_id: FromPath[str],
        inventory: Inventory,
        start_time: FromQuery[datetime | None] = None,
        end_time: FromQuery[datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=HISTORY_PAGE_MAX)] = 100,
        offset: Offset = 0,
        resolution: Annotated[Resolution, QueryParameter(description=RESOLUTION_DOC)] = Resolution.AUTO,
    ) -> DeviceHistory:
        window = TimeWindow(as_utc(start_time), as_utc(end_time))
        resolved = inventory.history_resolution(window, resolution)  # decided once, echoed to the client
        points = await inventory.history(
            device_id,
            window,
            PageRequest.checked(limit, offset, HISTORY_PAGE_MAX),
            viewer_of(request),
            resolved,
        )
        return DeviceHistory(
            device_id=device_id,
            history=[HistoryPoint.of(p) for p in points],
            limit=limit,
            offset=offset,
            resolution=resolved,
        )
