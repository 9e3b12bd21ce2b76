"""Device facts reported by agents (TEE type, capabilities), the TPM round trip of each verdict, and
the online spans behind device uptime percentages.

Revision ID: 0015
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("edge_devices", sa.Column("tee_type", sa.String(64)))
    op.add_column("edge_devices", sa.Column("capabilities", sa.JSON))
    op.add_column("device_attestations", sa.Column("tpm_latency_seconds", sa.Float))
    op.create_table(
        "device_online_spans",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("ended_at", UtcDateTime),
    )
    op.create_index("idx_online_spans_device_ended", "device_online_spans", ["device_id", "ended_at"])
    op.create_index("idx_online_spans_ended", "device_online_spans", ["ended_at"])
    # Devices reachable now have been online since their last heartbeat, as far as we can tell.
    op.execute(
        "INSERT INTO device_online_spans (device_id, started_at) SELECT id, last_heartbeat FROM edge_devices "
        "WHERE status IN ('online', 'degraded') AND last_heartbeat IS NOT NULL AND decommissioned_at IS NULL"
    )


def downgrade() -> None:
    op.drop_index("idx_online_spans_ended", "device_online_spans")
    op.drop_index("idx_online_spans_device_ended", "device_online_spans")
    op.drop_table("device_online_spans")
    op.drop_column("device_attestations", "tpm_latency_seconds")
    op.drop_column("edge_devices", "capabilities")
    op.drop_column("edge_devices", "tee_type")
