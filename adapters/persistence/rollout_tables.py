"""Tables of device tags, device groups, firmware releases and rollouts (migration 0040)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, text

from adapters.persistence.metadata import BigId, metadata
from adapters.persistence.types import UtcDateTime

device_tags = Table(
    "device_tags",
    metadata,
    Column("device_id", String(64), ForeignKey("edge_devices.id"), primary_key=True),
    Column("tag", String(64), primary_key=True),
    Index("idx_device_tags_tag", "tag", "device_id"),
)

device_groups = Table(
    "device_groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("selector", JSON, nullable=False),
    Column("description", String(255)),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

firmware_releases = Table(
    "firmware_releases",
    metadata,
    Column("version", String(128), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("signature", String(512)),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

rollouts = Table(
    "rollouts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("firmware_version", String(128), nullable=False),
    Column("artifact", JSON, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("phase_sizes", JSON, nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("phase", Integer, nullable=False),
    Column("reason", String(512)),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("updated_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Index("idx_rollouts_state", "state"),
)

rollout_targets = Table(
    "rollout_targets",
    metadata,
    Column("rollout_id", BigInteger, ForeignKey("rollouts.id"), primary_key=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), primary_key=True),
    Column("phase", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("settled", Boolean, nullable=False),
    Column("reason", String(32)),
    Column("message", String(512)),
    Column("previous_firmware", String(255)),
    Column("command_id", BigInteger),
    Column("sent_at", UtcDateTime),
    Column("installed_at", UtcDateTime),
    Column("verifying_since", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Index("idx_rollout_targets_state", "rollout_id", "state"),
    # a device is in at most one unsettled target: two rollouts never update one device at once
    Index(
        "uq_rollout_targets_busy_device",
        "device_id",
        unique=True,
        sqlite_where=text("NOT settled"),
        postgresql_where=text("NOT settled"),
    ),
)
