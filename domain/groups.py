"""Device groups: a static group is the devices carrying a tag, a dynamic one a saved filter over the
inventory (platform, model, location, firmware version, tag, status). Both resolve to a DeviceSelector,
so listing, bulk calls and rollouts read a group's members from the store as it is now."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.devices import DeviceStatus, Platform
from domain.errors import DomainError, ValidationFailed

GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=-]{0,63}$")
MAX_TAGS = 32


class GroupNotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(f"Group not found: {name}", details={"group": name})


class GroupKind(StrEnum):
    STATIC = "static"  # the devices tagged ``tag``
    DYNAMIC = "dynamic"  # the devices matching a saved filter


@dataclass(frozen=True)
class DeviceSelector:
    """The inventory fields a group may filter on; None matches anything."""

    platform: Platform | None = None
    model: str | None = None
    location: str | None = None
    firmware_version: str | None = None
    tag: str | None = None
    status: DeviceStatus | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceSelector:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValidationFailed(f"Unknown filter fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        if values.get("platform") is not None:
            values["platform"] = Platform(values["platform"])
        if values.get("status") is not None:
            values["status"] = DeviceStatus(values["status"])
        if values.get("tag") is not None:
            check_tag(values["tag"])
        return cls(**values)

    @property
    def empty(self) -> bool:
        return not self.as_dict()

    def combined(self, other: DeviceSelector) -> DeviceSelector:
        """Both at once; a field set on both sides must agree (else nothing would match)."""
        merged = self.as_dict()
        for name, value in other.as_dict().items():
            if name in merged and merged[name] != value:
                raise ValidationFailed(f"'{name}' given twice with different values")
            merged[name] = value
        return DeviceSelector(**merged)


def check_tag(tag: str) -> str:
    if not isinstance(tag, str) or not TAG.match(tag):
        raise ValidationFailed(
            "A tag is 1-64 characters of letters, digits, '.', '_', ':', '=' or '-', starting with a letter or digit",
            details={"tag": tag},
        )
    return tag


def check_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"At most {MAX_TAGS} tags per device")
    return sorted({check_tag(t) for t in tags})


@dataclass(eq=False)
class DeviceGroup:
    name: str
    kind: GroupKind
    selector: DeviceSelector
    created_by: str
    created_at: datetime
    description: str | None = None

    @classmethod
    def create(
        cls,
        name: str,
        kind: GroupKind,
        selector: DeviceSelector,
        created_by: str,
        now: datetime,
        description: str | None = None,
    ) -> DeviceGroup:
        if not GROUP_NAME.match(name):
            raise ValidationFailed(
                "Group name is 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        kind = GroupKind(kind)
        if kind is GroupKind.STATIC and set(selector.as_dict()) != {"tag"}:
            raise ValidationFailed("A static group is given by one tag (and nothing else)")
        if kind is GroupKind.DYNAMIC and selector.empty:
            raise ValidationFailed("A dynamic group needs a filter with at least one field")
        return cls(name, kind, selector, created_by, now, description)
