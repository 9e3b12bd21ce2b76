"""Engine creation for SQLite (WAL, foreign keys) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_engine(
    url: str, *, echo: bool = False, connect_timeout: float = 2.0, command_timeout: float = 30.0
) -> AsyncEngine:
    """``connect_timeout`` and ``command_timeout`` (PostgreSQL) bound how long a request waits for a
    database that is down or hung before it is answered 503."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping (a round trip on every checkout): a connection that died with the server fails its
    # request with 503 and SQLAlchemy then discards every connection of the pool made before it.
    # A pool as large as the requests a worker has in flight at once: connections opened past it are
    # closed again on return, and opening one (TCP, TLS attempt, authentication) costs ten queries.
    return create_async_engine(
        url,
        echo=echo,
        pool_size=24,
        max_overflow=16,
        connect_args={"timeout": connect_timeout, "command_timeout": command_timeout},
    )


def create_sync_read_engine(url: str) -> Engine | None:
    """A synchronous engine over the same SQLite file for the read path; None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    engine = sa_create_engine(parsed.set(drivername="sqlite+pysqlite"), pool_size=8, max_overflow=8)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while a heartbeat writes; NORMAL sync is durable across app crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    # Objects stay usable after commit: use cases return them to the HTTP layer.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
