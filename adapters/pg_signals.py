"""Signals for every API worker of the fleet over PostgreSQL LISTEN/NOTIFY: one channel, one
connection per worker that both listens and notifies.

A topic published here reaches this worker's waiters and listeners at once (no round trip), and the
other workers when PostgreSQL relays the NOTIFY; a worker ignores its own echoes. While the channel is
down, topics queue (bounded; they are hints) and the worker says so in ``connected`` (health shows
degraded); on every (re)connect each listener drops what it caches, since messages may have been missed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from adapters.signals import InProcessSignals

logger = logging.getLogger("edgefleet.signals")
CHANNEL = "edgefleet_signals"
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
QUEUE_LIMIT = 100_000


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as a DSN asyncpg connects with."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresSignals(InProcessSignals):
    def __init__(
        self, database_url: str, *, reconnect_seconds: float = 1.0, connect_timeout: float = 5.0
    ) -> None:
        super().__init__()
        self._dsn = asyncpg_dsn(database_url)
        self._origin = uuid.uuid4().hex[:12]
        self._reconnect, self._connect_timeout = reconnect_seconds, connect_timeout
        self._outbox: asyncio.Queue[str] | None = None
        self._task: asyncio.Task | None = None
        self._up = asyncio.Event()
        self._said_down = False

    @property
    def connected(self) -> bool:
        """Not started (a CLI command, a test without the app's lifespan): nobody to be cut off from."""
        return self._outbox is None or self._up.is_set()

    def publish(self, topic: str) -> None:
        self.deliver(topic)
        if self._outbox is None:
            return  # not started (a CLI command): nobody else to tell
        if len(topic.encode()) > MAX_PAYLOAD - 16:
            logger.warning(
                "signal of %d bytes is too long for the channel; it reaches this worker only", len(topic)
            )
            return
        try:
            self._outbox.put_nowait(topic)
        except asyncio.QueueFull:
            logger.warning("signal channel backlog full; %s reaches this worker only", topic)

    async def start(self, timeout: float = 5.0) -> None:
        """Connect before returning when possible, so nothing published afterwards is missed."""
        self._outbox = asyncio.Queue(QUEUE_LIMIT)
        self._task = asyncio.create_task(self._run(), name="pg-signals")
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
        except TimeoutError:
            logger.warning("signal channel not connected yet; retrying in the background")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._outbox = None

    async def _run(self) -> None:
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
                await connection.add_listener(CHANNEL, self._on_notify)
                self._up.set()
                self._said_down = False
                logger.info("signal channel connected")
                self.reset_listeners()
                await self._send(connection)
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if self._up.is_set() or not self._said_down:  # once per outage
                    logger.warning(
                        "signal channel down (%s); other workers' wake-ups and invalidations are "
                        "not received until it is back",
                        exc,
                    )
                self._said_down = True
            finally:
                self._up.clear()
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(self._reconnect)

    async def _send(self, connection: asyncpg.Connection) -> None:
        assert self._outbox is not None
        while True:
            try:
                first = await asyncio.wait_for(self._outbox.get(), 1.0)
            except TimeoutError:
                if connection.is_closed():
                    raise OSError("connection closed") from None
                continue
            topics = [first]
            size = len(first)
            while not self._outbox.empty() and size < MAX_PAYLOAD // 2:
                topic = self._outbox.get_nowait()
                topics.append(topic)
                size += len(topic) + 1
            await connection.execute(
                "SELECT pg_notify($1, $2)", CHANNEL, self._origin + "\n" + "\n".join(topics)
            )

    def _on_notify(self, _connection, _pid, _channel, payload: str) -> None:
        origin, _, body = payload.partition("\n")
        if origin == self._origin:
            return  # this worker delivered it when it published
        for topic in body.split("\n"):
            if topic:
                self.deliver(topic)
