"""SQL GroupRepository (Core): device groups and device tags, inside the caller's unit of work."""

from __future__ import annotations

import builtins  # the repositories and services have a method named list

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.persistence.rollout_tables import device_groups, device_tags
from domain.errors import Conflict
from domain.groups import DeviceGroup, DeviceSelector, GroupKind


def _group(row) -> DeviceGroup:
    m = row._mapping
    return DeviceGroup(
        m["name"],
        GroupKind(m["kind"]),
        DeviceSelector.from_dict(m["selector"]),
        m["created_by"],
        m["created_at"],
        m["description"],
    )


class SqlGroupRepository:
    def __init__(self, conn) -> None:
        """``conn``: anything with ``await conn.execute(statement)`` (the unit of work's session)."""
        self._conn = conn

    async def add(self, group: DeviceGroup) -> None:
        if await self.get(group.name) is not None:
            raise Conflict(f"Group {group.name} already exists", details={"group": group.name})
        try:
            await self._conn.execute(
                insert(device_groups).values(
                    name=group.name,
                    kind=group.kind.value,
                    selector={k: str(v) for k, v in group.selector.as_dict().items()},
                    description=group.description,
                    created_by=group.created_by,
                    created_at=group.created_at,
                )
            )
        except IntegrityError as exc:  # created concurrently
            raise Conflict(f"Group {group.name} already exists", details={"group": group.name}) from exc

    async def get(self, name: str) -> DeviceGroup | None:
        row = (await self._conn.execute(select(device_groups).where(device_groups.c.name == name))).first()
        return _group(row) if row else None

    async def list(self) -> builtins.list[DeviceGroup]:
        rows = await self._conn.execute(select(device_groups).order_by(device_groups.c.name))
        return [_group(row) for row in rows]

    async def delete(self, name: str) -> bool:
        result = await self._conn.execute(delete(device_groups).where(device_groups.c.name == name))
        return result.rowcount == 1

    async def tags_of(self, device_id: str) -> builtins.list[str]:
        rows = await self._conn.execute(
            select(device_tags.c.tag).where(device_tags.c.device_id == device_id).order_by(device_tags.c.tag)
        )
        return [row[0] for row in rows]

    async def set_tags(self, device_id: str, tags: builtins.list[str]) -> None:
        await self._conn.execute(delete(device_tags).where(device_tags.c.device_id == device_id))
        if tags:
            await self._conn.execute(insert(device_tags), [{"device_id": device_id, "tag": t} for t in tags])
