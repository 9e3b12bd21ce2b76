"""Rollouts: device tags and groups, firmware releases, rollouts and their per-device targets.

Revision ID: 0040
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "device_tags",
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
    )
    op.create_index("idx_device_tags_tag", "device_tags", ["tag", "device_id"])
    op.create_table(
        "device_groups",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("selector", sa.JSON, nullable=False),
        sa.Column("description", sa.String(255)),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "firmware_releases",
        sa.Column("version", sa.String(128), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.String(512)),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rollouts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("firmware_version", sa.String(128), nullable=False),
        sa.Column("artifact", sa.JSON, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("phase_sizes", sa.JSON, nullable=False),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("phase", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(512)),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("started_at", UtcDateTime),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("idx_rollouts_state", "rollouts", ["state"])
    op.create_table(
        "rollout_targets",
        sa.Column("rollout_id", sa.BigInteger, sa.ForeignKey("rollouts.id"), primary_key=True),
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), primary_key=True),
        sa.Column("phase", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("message", sa.String(512)),
        sa.Column("previous_firmware", sa.String(255)),
        sa.Column("command_id", sa.BigInteger),
        sa.Column("sent_at", UtcDateTime),
        sa.Column("installed_at", UtcDateTime),
        sa.Column("verifying_since", UtcDateTime),
        sa.Column("finished_at", UtcDateTime),
    )
    op.create_index("idx_rollout_targets_state", "rollout_targets", ["rollout_id", "state"])
    op.create_index(
        "uq_rollout_targets_busy_device",
        "rollout_targets",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("NOT settled"),
        postgresql_where=sa.text("NOT settled"),
    )


def downgrade() -> None:
    op.drop_index("uq_rollout_targets_busy_device", "rollout_targets")
    op.drop_index("idx_rollout_targets_state", "rollout_targets")
    op.drop_table("rollout_targets")
    op.drop_index("idx_rollouts_state", "rollouts")
    op.drop_table("rollouts")
    op.drop_table("firmware_releases")
    op.drop_table("device_groups")
    op.drop_index("idx_device_tags_tag", "device_tags")
    op.drop_table("device_tags")
