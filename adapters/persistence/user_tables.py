"""The ``users`` table (migration 0030): console accounts, the password only as its argon2id hash."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, String, Table, false

from adapters.persistence.metadata import metadata
from adapters.persistence.types import StrEnumType, UtcDateTime
from domain.access import Role

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", StrEnumType(Role, 16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
