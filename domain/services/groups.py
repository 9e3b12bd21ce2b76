"""Device groups and tags: static groups (a tag), dynamic ones (a saved filter), and what they hold."""

from __future__ import annotations

import builtins  # the repositories and services have a method named list
from collections.abc import Callable

from domain.access import Principal
from domain.devices import DeviceRecord
from domain.errors import DeviceNotFound, ValidationFailed
from domain.groups import DeviceGroup, DeviceSelector, GroupKind, GroupNotFound, check_tags
from domain.pagination import Page, PageRequest
from ports.clock import Clock
from ports.queries import FleetQueries
from ports.repositories import DeviceFilter
from ports.unit_of_work import UnitOfWork

PAGE = 1000


def filter_of(selector: DeviceSelector, base: DeviceFilter | None = None) -> DeviceFilter:
    """A listing filter narrowed by a group's selector (fields given on both sides must agree)."""
    base = base or DeviceFilter()
    own = DeviceSelector(
        base.platform, base.model, base.location, base.firmware_version, base.tag, base.status
    ).combined(selector)
    return DeviceFilter(
        platform=own.platform,
        status=own.status,
        location=own.location,
        include_decommissioned=base.include_decommissioned,
        search=base.search,
        model=own.model,
        firmware_version=own.firmware_version,
        tag=own.tag,
    )


class GroupService:
    def __init__(self, uow: Callable[[], UnitOfWork], queries: FleetQueries, clock: Clock) -> None:
        self._uow, self._queries, self._clock = uow, queries, clock

    async def create(
        self,
        principal: Principal,
        name: str,
        kind: GroupKind,
        selector: DeviceSelector,
        description: str | None = None,
    ) -> DeviceGroup:
        group = DeviceGroup.create(name, kind, selector, principal.subject, self._clock.now(), description)
        async with self._uow() as uow:
            await uow.groups.add(group)
            await uow.commit()
        return group

    async def get(self, name: str) -> DeviceGroup:
        async with self._uow() as uow:
            group = await uow.groups.get(name)
        if group is None:
            raise GroupNotFound(name)
        return group

    async def list(self) -> builtins.list[DeviceGroup]:
        async with self._uow() as uow:
            return await uow.groups.list()

    async def delete(self, name: str) -> None:
        async with self._uow() as uow:
            if not await uow.groups.delete(name):
                raise GroupNotFound(name)
            await uow.commit()

    async def filter_for(self, name: str, base: DeviceFilter | None = None) -> DeviceFilter:
        return filter_of((await self.get(name)).selector, base)

    async def page(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        return await self._queries.devices(filters, page)

    async def members(self, filters: DeviceFilter, limit: int) -> builtins.list[DeviceRecord]:
        """Every device matching ``filters`` (read from the store in pages); more than ``limit`` is an error."""
        found: builtins.list[DeviceRecord] = []
        while True:
            page = await self._queries.devices(filters, PageRequest(PAGE, len(found)))
            if page.total > limit:
                raise ValidationFailed(f"The group holds {page.total} devices; at most {limit} at once")
            found += page.items
            if not page.items or len(found) >= page.total:
                return found

    async def tags_of(self, device_id: str) -> builtins.list[str]:
        async with self._uow() as uow:
            return await uow.groups.tags_of(device_id)

    async def set_tags(self, device_id: str, tags: builtins.list[str]) -> builtins.list[str]:
        clean = check_tags(tags)
        async with self._uow() as uow:
            device = await uow.devices.get(device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(device_id)
            await uow.groups.set_tags(device_id, clean)
            await uow.commit()
        self._queries.invalidate()  # cached listings filtered by tag are stale now
        return clean
