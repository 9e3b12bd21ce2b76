"""The MetaData every table module registers on, and column types they share. Table modules import
this, never each other's modules for it; adapters/persistence/schema.py gathers them all."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")
