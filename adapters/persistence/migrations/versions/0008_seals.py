"""Seals: keys sealed to device TPMs (public material only), one active seal per device and key_id.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE_ONLY = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "seals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), nullable=False),
        sa.Column("key_id", sa.String(128), nullable=False),
        sa.Column("bank", sa.Integer, nullable=False),
        sa.Column("pcr_values", sa.JSON, nullable=False),
        sa.Column("policy_digest", sa.LargeBinary, nullable=False),
        sa.Column("sealed_blob", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("revoked_at", UtcDateTime),
    )
    op.create_index("idx_seals_device_id_created_at", "seals", ["device_id", "created_at"])
    op.create_index(
        "uq_seals_active_key",
        "seals",
        ["device_id", "key_id"],
        unique=True,
        sqlite_where=ACTIVE_ONLY,
        postgresql_where=ACTIVE_ONLY,
    )
    op.create_index("idx_seals_status_device_id", "seals", ["status", "device_id"])


def downgrade() -> None:
    op.drop_index("idx_seals_status_device_id", "seals")
    op.drop_index("uq_seals_active_key", "seals")
    op.drop_index("idx_seals_device_id_created_at", "seals")
    op.drop_table("seals")
