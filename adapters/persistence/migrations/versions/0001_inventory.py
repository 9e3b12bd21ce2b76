"""The API contract's four tables: devices, metrics, attestations, commands.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "edge_devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("location", sa.String(255)),
        sa.Column("model", sa.String(255)),
        sa.Column("cores", sa.Integer),
        sa.Column("memory_gb", sa.Integer),
        sa.Column("firmware_version", sa.String(255)),
        sa.Column("tee_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("tpm_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(32), nullable=False, server_default="unknown"),
        sa.Column("last_heartbeat", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("cpu_usage", sa.Float),
        sa.Column("memory_usage", sa.Float),
        sa.Column("temperature", sa.Float),
        sa.Column("uptime_seconds", sa.BigInteger),
        sa.Column("attestation_status", sa.String(32), nullable=False, server_default="unknown"),
        sa.Column("decommissioned_at", UtcDateTime),
    )
    # The API contract's indexes, with the id appended so a filtered page is read in id order, not sorted.
    op.create_index("idx_platform", "edge_devices", ["platform", "id"])
    op.create_index("idx_status", "edge_devices", ["status", "id"])
    op.create_index("idx_location", "edge_devices", ["location", "id"])

    op.create_table(
        "device_metrics",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("cpu_usage", sa.Float),
        sa.Column("memory_usage", sa.Float),
        sa.Column("temperature", sa.Float),
        sa.Column("timestamp", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("status", sa.String(32)),
        sa.Column("uptime_seconds", sa.BigInteger),
        sa.Column("ai_core_usage", sa.Float),
        sa.Column("npu_memory_used_mb", sa.Float),
        sa.Column("power_w", sa.Float),
    )
    op.create_index("idx_device_id_timestamp", "device_metrics", ["device_id", "timestamp"])
    op.create_index("idx_timestamp", "device_metrics", ["timestamp"])

    op.create_table(
        "device_attestations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("tpm_version", sa.String(32)),
        sa.Column("pcr_hash", sa.String(512)),
        sa.Column("attestation_status", sa.String(32)),
        sa.Column("timestamp", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("idx_attestations_device_id_timestamp", "device_attestations", ["device_id", "timestamp"])
    op.create_index("idx_attestations_status", "device_attestations", ["attestation_status"])

    op.create_table(
        "device_commands",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("command", sa.String(255), nullable=False),
        sa.Column("parameters", sa.JSON),
        sa.Column("status", sa.String(32)),
        sa.Column("result", sa.JSON),
        sa.Column("executed_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("idx_commands_device_id_status", "device_commands", ["device_id", "status"])
    op.create_index("idx_commands_created_at", "device_commands", ["created_at"])


def downgrade() -> None:
    for table in ("device_commands", "device_attestations", "device_metrics", "edge_devices"):
        op.drop_table(table)
