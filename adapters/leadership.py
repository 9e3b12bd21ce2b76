"""Who runs the fleet-wide background jobs: the only worker (SQLite), or the holder of a PostgreSQL
session-level advisory lock. PostgreSQL releases the lock when the holder's connection ends, killed
worker included, and the next worker to ask takes it over."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from adapters.pg_signals import asyncpg_dsn

logger = logging.getLogger("edgefleet.jobs")
LOCK_KEY = 0x6564676566  # "edgef": one key for the fleet's job runner


class SoleWorker:
    async def holds(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLockLeadership:
    def __init__(self, database_url: str, *, connect_timeout: float = 5.0) -> None:
        self._dsn, self._timeout = asyncpg_dsn(database_url), connect_timeout
        self._connection: asyncpg.Connection | None = None
        self._held = False
        self._asking = asyncio.Lock()  # every job asks at once at start-up: one connection, one answer
        self._unreachable = False  # said once per outage, not once per job round

    async def holds(self) -> bool:
        async with self._asking:
            return await self._ask()

    async def _ask(self) -> bool:
        try:
            if self._connection is None or self._connection.is_closed():
                if self._held:
                    logger.warning("lost the job runner's lock with its connection")
                self._held = False
                self._connection = await asyncpg.connect(self._dsn, timeout=self._timeout)
            if not self._held:
                # a held lock is checked too: the session could have been terminated server-side
                self._held = bool(
                    await self._connection.fetchval(
                        "SELECT pg_try_advisory_lock($1)", LOCK_KEY, timeout=self._timeout
                    )
                )
                if self._held:
                    logger.info("this worker runs the fleet-wide background jobs")
            else:
                await self._connection.fetchval("SELECT 1", timeout=self._timeout)
            self._unreachable = False
            return self._held
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if not self._unreachable:
                logger.warning("cannot reach the job runner's lock (%s); skipping fleet-wide jobs here", exc)
            self._unreachable = True
            self._drop()
            return False

    async def release(self) -> None:
        async with self._asking:
            self._drop()

    def _drop(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None and not connection.is_closed():
            connection.terminate()  # ends the session: PostgreSQL releases the lock
