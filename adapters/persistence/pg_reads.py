"""The hot read statements on PostgreSQL, run by asyncpg directly.

The statements are written in SQLAlchemy Core like every other one and compiled once per shape to
asyncpg's SQL; only their execution skips SQLAlchemy. Measured on this project's machines, one
one-row select costs ~230 us through an SQLAlchemy connection and ~190 us more to check one out of
its pool, ~50 us as an asyncpg prepared statement: on a device detail, a history page or a fleet
listing that difference is most of the request. asyncpg keeps each statement prepared per connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement

from domain.errors import StoreUnavailable

# What a dropped, refused, restarting or exhausted server raises through asyncpg.
_UNREACHABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


class _Compiled:
    """One statement shape as asyncpg runs it: its SQL and where each named value goes."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())
        self._constants = dict(compiled.params)  # literals the statement itself carries

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self._constants[name] for name in self._names]


async def _keep(connection: asyncpg.Connection) -> None:
    """What a read connection needs before its next use: nothing."""


class PgReads:
    def __init__(
        self, url: str, *, connect_timeout: float = 2.0, command_timeout: float = 30.0, max_size: int = 10
    ) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connect_timeout, self._command_timeout, self._max_size = (
            connect_timeout,
            command_timeout,
            max_size,
        )
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        # by the statement object: callers build each statement once (module constants, lru_cache)
        self._compiled: dict[int, tuple[ClauseElement, _Compiled]] = {}

    async def fetch(self, statement: ClauseElement, values: dict[str, Any]) -> Sequence[asyncpg.Record]:
        """Rows of ``statement`` (compiled on first use), with ``values`` for its named parameters."""
        return (await self.fetch_each([statement], values))[0]

    async def fetch_each(
        self, statements: Sequence[ClauseElement], values: dict[str, Any]
    ) -> list[Sequence[asyncpg.Record]]:
        """Several statements in turn on one connection (one checkout for a listing's count and page)."""
        compiled = [self._compile(statement) for statement in statements]
        try:
            pool = self._pool or await self._open()
            async with pool.acquire(timeout=self._connect_timeout) as connection:
                return [await connection.fetch(c.sql, *c.arguments(values)) for c in compiled]
        except _UNREACHABLE as exc:
            raise StoreUnavailable("Database unreachable; retry later") from exc

    def _compile(self, statement: ClauseElement) -> _Compiled:
        held = self._compiled.get(id(statement))
        if held is None:  # the statement is kept with it, so its id is never reused for another
            held = self._compiled[id(statement)] = (statement, _Compiled(statement))
        return held[1]

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._max_size,
                    timeout=self._connect_timeout,
                    command_timeout=self._command_timeout,
                    # these connections only read: no session state to reset, so no reset round
                    # trip (RESET ALL, UNLISTEN ...) each time one goes back to the pool
                    reset=_keep,
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
