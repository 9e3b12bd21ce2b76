"""One-time enrolment tokens and device credentials (hashes only).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "enrollment_tokens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("device_id", sa.String(64)),
        sa.Column("used_at", UtcDateTime),
        sa.Column("used_by_device", sa.String(64)),
    )
    op.create_table(
        "device_credentials",
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime),
    )


def downgrade() -> None:
    op.drop_table("device_credentials")
    op.drop_table("enrollment_tokens")
