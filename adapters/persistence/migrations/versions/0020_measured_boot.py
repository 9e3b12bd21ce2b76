"""Measured boot: event-based reference policies, and verdicts that name failed events.

Revision ID: 0020
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_policies",
        sa.Column("scope_key", sa.String(600), primary_key=True),
        sa.Column("device_id", sa.String(64)),
        sa.Column("model", sa.String(255)),
        sa.Column("firmware_version", sa.String(255)),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime),
    )
    with op.batch_alter_table("device_attestations") as table:
        table.add_column(sa.Column("failed_events", sa.JSON))
        table.add_column(sa.Column("event_log_error", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("device_attestations") as table:
        table.drop_column("event_log_error")
        table.drop_column("failed_events")
    op.drop_table("event_policies")
