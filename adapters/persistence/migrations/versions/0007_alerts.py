"""Alerts: the alerts, each threshold rule's breach state per device, admins' rule overrides.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN_CONDITION = sa.text("status <> 'resolved'")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("acknowledged_by", sa.String(255)),
        sa.Column("acknowledged_at", UtcDateTime),
        sa.Column("resolved_at", UtcDateTime),
    )
    op.create_index(
        "uq_alerts_open_per_rule",
        "alerts",
        ["device_id", "rule", "subject"],
        unique=True,
        sqlite_where=OPEN_CONDITION,
        postgresql_where=OPEN_CONDITION,
    )
    op.create_index("idx_alerts_status_started", "alerts", ["status", "started_at", "id"])
    op.create_index("idx_alerts_device_started", "alerts", ["device_id", "started_at", "id"])
    op.create_table(
        "alert_breaches",
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), primary_key=True),
        sa.Column("rule", sa.String(32), primary_key=True),
        sa.Column("warning_since", UtcDateTime, nullable=False),
        sa.Column("critical_since", UtcDateTime),
    )
    op.create_table(
        "alert_rule_overrides",
        sa.Column("rule", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_rule_overrides")
    op.drop_table("alert_breaches")
    op.drop_index("idx_alerts_device_started", "alerts")
    op.drop_index("idx_alerts_status_started", "alerts")
    op.drop_index("uq_alerts_open_per_rule", "alerts")
    op.drop_table("alerts")
