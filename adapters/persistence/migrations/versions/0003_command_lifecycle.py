"""Command lifecycle: who asked, idempotency key, deadline, per-transition times, optimistic version.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ["requested_by", "idempotency_key", "deadline", "delivered_at", "started_at", "version"]


def upgrade() -> None:
    with op.batch_alter_table("device_commands") as batch:
        batch.add_column(sa.Column("requested_by", sa.String(255)))
        batch.add_column(sa.Column("idempotency_key", sa.String(128)))
        batch.add_column(sa.Column("deadline", UtcDateTime))
        batch.add_column(sa.Column("delivered_at", UtcDateTime))
        batch.add_column(sa.Column("started_at", UtcDateTime))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.create_index("uq_commands_idempotency_key", ["device_id", "idempotency_key"], unique=True)
        batch.create_index("idx_commands_status_deadline", ["status", "deadline"])


def downgrade() -> None:
    with op.batch_alter_table("device_commands") as batch:
        batch.drop_index("idx_commands_status_deadline")
        batch.drop_index("uq_commands_idempotency_key")
        for column in COLUMNS:
            batch.drop_column(column)
