"""Migrations and table metadata agree, on both databases, and downgrade cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adapters.persistence.engine import create_engine
from adapters.persistence.migrate import downgrade, upgrade
from adapters.persistence.schema import metadata


async def schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": False}), metadata
                )
            )
    finally:
        await engine.dispose()


async def test_the_migrated_schema_matches_the_table_metadata(database_url):
    assert await schema_differences(database_url) == []


async def test_downgrade_to_base_and_upgrade_again(database_url):
    downgrade(database_url, "base")
    upgrade(database_url)
    assert await schema_differences(database_url) == []
