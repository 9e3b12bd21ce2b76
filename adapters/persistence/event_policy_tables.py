"""Event-based reference policies (migration 0020): rules over a boot event log, per device or per
model + firmware version, beside the PCR-value policies of reference_policies."""

from __future__ import annotations

from sqlalchemy import JSON, Column, String, Table

from adapters.persistence.metadata import metadata
from adapters.persistence.types import UtcDateTime

event_policies = Table(
    "event_policies",
    metadata,
    Column("scope_key", String(600), primary_key=True),  # as reference_policies: device:<id> | model:[m, fw]
    Column("device_id", String(64)),
    Column("model", String(255)),
    Column("firmware_version", String(255)),
    Column("rules", JSON, nullable=False),  # EventPolicy.as_dict()
    Column("updated_at", UtcDateTime),
)
