"""The inventory filters device groups add (model, firmware version, tag), for the listing's statements:
which are set shapes the SQL (compiled once per shape), their values are bound."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, select

from adapters.persistence.rollout_tables import device_tags
from adapters.persistence.tables import edge_devices
from ports.repositories import DeviceFilter


def with_group_filters(statement: Select, model: bool, firmware_version: bool, tag: bool) -> Select:
    columns = edge_devices.c
    if model:
        statement = statement.where(columns.model == bindparam("model"))
    if firmware_version:
        statement = statement.where(columns.firmware_version == bindparam("firmware_version"))
    if tag:
        tagged = select(device_tags.c.device_id).where(device_tags.c.tag == bindparam("tag"))
        statement = statement.where(columns.id.in_(tagged))
    return statement


def group_values(filters: DeviceFilter) -> dict:
    values = {"model": filters.model, "firmware_version": filters.firmware_version, "tag": filters.tag}
    return {name: value for name, value in values.items() if value is not None}
