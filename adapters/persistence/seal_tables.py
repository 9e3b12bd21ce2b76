"""The ``seals`` table (migration 0008), on the shared metadata. Public material only: the policy,
its digest and the import blob; the sealed key itself is never written anywhere."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, text

from adapters.persistence.metadata import metadata
from adapters.persistence.types import StrEnumType, UtcDateTime
from domain.sealing import SealStatus

ACTIVE_ONLY = text("status = 'active'")

seals = Table(
    "seals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("key_id", String(128), nullable=False),
    Column("bank", Integer, nullable=False),
    Column("pcr_values", JSON, nullable=False),  # {"7": "<hex>"}: expected value per PCR index
    Column("policy_digest", LargeBinary, nullable=False),
    Column("sealed_blob", LargeBinary, nullable=False),
    Column("status", StrEnumType(SealStatus, 16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("revoked_at", UtcDateTime),
    Index("idx_seals_device_id_created_at", "device_id", "created_at"),
    # One active seal per (device, key_id), enforced by the database so that concurrent requests
    # cannot both win; revoked seals stay as history.
    Index(
        "uq_seals_active_key",
        "device_id",
        "key_id",
        unique=True,
        sqlite_where=ACTIVE_ONLY,
        postgresql_where=ACTIVE_ONLY,
    ),
    # Counting devices with an active seal (security metrics, compliance) reads only this index.
    Index("idx_seals_status_device_id", "status", "device_id"),
)
