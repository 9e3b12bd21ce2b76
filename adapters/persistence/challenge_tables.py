"""Pending attestation challenges (migration 0010): in the database, not in one API worker's memory,
so a verify request on one worker is answered by an agent whose poll and quote land on another."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, Table

from adapters.persistence.metadata import metadata
from adapters.persistence.types import UtcDateTime

attestation_challenges = Table(
    "attestation_challenges",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("nonce", LargeBinary(64), primary_key=True),
    Column("pcrs", JSON, nullable=False),  # [0, 1, 7]
    Column("bank", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("fetched_at", UtcDateTime),  # last offered to a long poll (re-offered when unanswered)
    Column("evidence", JSON),  # the device's answer, until the waiting verifier takes it
    Index("idx_attestation_challenges_expires_at", "expires_at"),
)
