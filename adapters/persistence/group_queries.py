"""The inventory filters device groups add (model, firmware version, tag), for any device query."""

from __future__ import annotations

from sqlalchemy import Select, select

from adapters.persistence.rollout_tables import device_tags
from adapters.persistence.tables import edge_devices
from ports.repositories import DeviceFilter


def with_group_filters(statement: Select, filters: DeviceFilter) -> Select:
    columns = edge_devices.c
    if filters.model is not None:
        statement = statement.where(columns.model == filters.model)
    if filters.firmware_version is not None:
        statement = statement.where(columns.firmware_version == filters.firmware_version)
    if filters.tag is not None:
        tagged = select(device_tags.c.device_id).where(device_tags.c.tag == filters.tag)
        statement = statement.where(columns.id.in_(tagged))
    return statement
