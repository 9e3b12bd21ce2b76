"""Alert tables, on the shared MetaData (adapters/persistence/schema.py gathers every table module).

One open alert per device, rule and subject is enforced by a partial unique index, so two workers
evaluating the same device cannot both raise it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, String, Table, text

from adapters.persistence.metadata import BigId, metadata
from adapters.persistence.types import StrEnumType, UtcDateTime
from domain.alert_rules import RuleName, Severity
from domain.alerts import AlertStatus

OPEN_CONDITION = text("status <> 'resolved'")

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("rule", StrEnumType(RuleName), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("severity", StrEnumType(Severity, 16), nullable=False),
    Column("status", StrEnumType(AlertStatus, 16), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("value", Float),
    Column("threshold", Float),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("acknowledged_by", String(255)),
    Column("acknowledged_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Index(
        "uq_alerts_open_per_rule",
        "device_id",
        "rule",
        "subject",
        unique=True,
        sqlite_where=OPEN_CONDITION,
        postgresql_where=OPEN_CONDITION,
    ),
    # Listings are newest first, by status (open is the default) or by device.
    Index("idx_alerts_status_started", "status", "started_at", "id"),
    Index("idx_alerts_device_started", "device_id", "started_at", "id"),
)

# Since when a device's value has been above a threshold rule's limits (the rule's duration clock).
alert_breaches = Table(
    "alert_breaches",
    metadata,
    Column("device_id", String(64), ForeignKey("edge_devices.id"), primary_key=True),
    Column("rule", StrEnumType(RuleName), primary_key=True),
    Column("warning_since", UtcDateTime, nullable=False),
    Column("critical_since", UtcDateTime),
)

# Admins' overrides of the alert rules: changed fields per rule, per platform or '*' for all.
alert_rule_overrides = Table(
    "alert_rule_overrides",
    metadata,
    Column("rule", String(32), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_by", String(255), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
