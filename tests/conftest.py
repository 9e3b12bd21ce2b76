"""Shared fixtures: databases (SQLite file and a throw-away PostgreSQL), containers, tokens."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.persistence.engine import sqlite_url
from adapters.persistence.migrate import upgrade
from adapters.persistence.throwaway_postgres import PostgresServer
from domain.access import Role
from entrypoints.container import Container, build_container, shutdown_container
from entrypoints.settings import Settings

TEST_SECRET = "test-secret-" + "x" * 40


def start_postgres() -> PostgresServer:
    """A throw-away PostgreSQL. ``make test`` sets EDGEFLEET_REQUIRE_POSTGRES=1: no silent skips."""
    try:
        return PostgresServer().start()
    except Exception as exc:  # noqa: BLE001 - reported either way
        if os.environ.get("EDGEFLEET_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL could not be started: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL for the session."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrated once per session; every test gets a copy (migrating each time would dominate the run)."""
    path = tmp_path_factory.mktemp("template") / "edgefleet.db"
    upgrade(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    name = "edgefleet_template"
    upgrade(postgres_server.create_database(name))
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> str:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "edgefleet.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return sqlite_url(path)
    template = request.getfixturevalue("postgres_template")
    return request.getfixturevalue("postgres_server").create_database(f"t_{uuid.uuid4().hex[:12]}", template)


def make_settings(tmp_path: Path, database_url: str, **overrides) -> Settings:
    return Settings(var_dir=tmp_path, database_url=database_url, jwt_secret=TEST_SECRET, **overrides)


@pytest.fixture
async def container(tmp_path: Path, database_url: str):
    built: Container = build_container(make_settings(tmp_path, database_url))
    yield built
    await shutdown_container(built)


def token_for(container: Container, role: Role | str, subject: str = "tester", ttl=timedelta(hours=1)) -> str:
    return container.core.tokens().issue(subject, Role(role), ttl, datetime.now(UTC))


def auth_header(container: Container, role: Role | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(container, role)}"}
