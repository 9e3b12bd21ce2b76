"""Pending attestation challenges, shared by every API worker.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attestation_challenges",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.LargeBinary(64), primary_key=True),
        sa.Column("pcrs", sa.JSON, nullable=False),
        sa.Column("bank", sa.Integer, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("fetched_at", UtcDateTime),
        sa.Column("evidence", sa.JSON),
    )
    op.create_index("idx_attestation_challenges_expires_at", "attestation_challenges", ["expires_at"])


def downgrade() -> None:
    op.drop_index("idx_attestation_challenges_expires_at", "attestation_challenges")
    op.drop_table("attestation_challenges")
