"""Live updates across API workers: each worker's events go through one Redis pub/sub channel.

Every worker publishes its own bus's events to the channel and feeds everything it reads back from the
channel to its local LiveStream, so a client on any worker sees every worker's events, in the order
Redis delivered them. Pub/sub keeps nothing: a worker misses what is published while it reconnects
(clients re-read REST state anyway after a reconnect of their own). When Redis cannot be reached, a
worker still delivers its own events to its own clients.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from adapters.event_codec import RELAYED, decode_event, encode_event
from adapters.live_stream import LiveStream
from domain.events import Event

logger = logging.getLogger("edgefleet.live")
CHANNEL = "edgefleet:live"
RECONNECT_SECONDS = 1.0


class RedisLiveRelay:
    def __init__(self, url: str, local: LiveStream, channel: str = CHANNEL) -> None:
        self._client = aioredis.from_url(url)
        self._local, self._channel = local, channel
        self._reader: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    async def on_event(self, event: Event) -> None:
        """Event-bus handler (in place of the LiveStream's own)."""
        if type(event).__name__ not in RELAYED:
            return
        try:
            await self._client.publish(self._channel, encode_event(event))
        except (RedisError, OSError) as exc:
            logger.warning("live channel unreachable (%s): %s shown on this worker only", exc, event.kind)
            await self._local.on_event(event)

    async def start(self, timeout: float = 5.0) -> None:
        """Subscribe before returning, so no event published afterwards is missed."""
        self._reader = asyncio.create_task(self._read(), name="redis-live-reader")
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except TimeoutError:
            logger.warning("live channel not subscribed yet; retrying in the background")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._client.aclose()

    async def _read(self) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self._deliver(message["data"])
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                logger.warning("live channel lost (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _deliver(self, data: bytes) -> None:
        try:
            event = decode_event(data)
        except ValueError as exc:  # another version or a stranger on the channel: skip, do not die
            logger.warning("ignored a live-channel message: %s", exc)
            return
        await self._local.on_event(event)
