"""Device groups (/api/v1/edge/groups) and device tags (/api/v1/edge/devices/{id}/tags)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from domain.access import Permission
from domain.groups import MAX_TAGS, GroupKind
from domain.pagination import PageRequest
from domain.services.groups import GroupService, filter_of
from entrypoints.http.auth import requires
from entrypoints.http.params import Offset
from entrypoints.http.schemas.devices import DeviceList, DeviceSummary
from entrypoints.http.schemas.rollouts import GroupCreate, GroupList, GroupView, Tag, TagsView

Groups = NamedDependency[GroupService]


class TagsBody(Struct, forbid_unknown_fields=True):
    tags: Annotated[list[Tag], Meta(max_length=MAX_TAGS)]


class GroupController(Controller):
    path = "/groups"
    tags = ["groups"]

    @get("/", operation_id="listGroups", guards=[requires(Permission.DEVICES_READ)])
    async def list_groups(self, groups: Groups) -> GroupList:
        return GroupList([GroupView.of(g) for g in await groups.list()])

    @post("/", operation_id="createGroup", guards=[requires(Permission.DEVICES_WRITE)], status_code=201)
    async def create_group(self, request: Request, data: JSONBody[GroupCreate], groups: Groups) -> GroupView:
        group = await groups.create(
            request.user, data.name, GroupKind(data.kind), data.selector(), data.description
        )
        return GroupView.of(group)

    @get("/{name:str}", operation_id="getGroup", guards=[requires(Permission.DEVICES_READ)])
    async def get_group(self, name: FromPath[str], groups: Groups) -> GroupView:
        group = await groups.get(name)
        page = await groups_page(groups, name, PageRequest(1))
        return GroupView.of(group, page.total)

    @delete("/{name:str}", operation_id="deleteGroup", guards=[requires(Permission.DEVICES_WRITE)])
    async def delete_group(self, name: FromPath[str], groups: Groups) -> None:
        """Rollouts keep the devices they were created with."""
        await groups.delete(name)

    @get("/{name:str}/devices", operation_id="listGroupDevices", guards=[requires(Permission.DEVICES_READ)])
    async def group_devices(
        self,
        name: FromPath[str],
        groups: Groups,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Offset = 0,
    ) -> DeviceList:
        page = await groups_page(groups, name, PageRequest(limit, offset))
        return DeviceList([DeviceSummary.of(d) for d in page.items], page.total, page.limit, page.offset)


async def groups_page(groups: GroupService, name: str, page: PageRequest):
    group = await groups.get(name)
    return await groups.page(filter_of(group.selector), page)


class TagController(Controller):
    path = "/devices/{device_id:str}/tags"
    tags = ["groups"]

    @get("/", operation_id="getDeviceTags", guards=[requires(Permission.DEVICES_READ)])
    async def get_tags(self, device_id: FromPath[str], groups: Groups) -> TagsView:
        return TagsView(device_id, await groups.tags_of(device_id))

    @put("/", operation_id="putDeviceTags", guards=[requires(Permission.DEVICES_WRITE)])
    async def put_tags(self, device_id: FromPath[str], data: JSONBody[TagsBody], groups: Groups) -> TagsView:
        """Replace the device's tags (also possible with PATCH /devices/{id} and ``tags``)."""
        return TagsView(device_id, await groups.set_tags(device_id, data.tags))
