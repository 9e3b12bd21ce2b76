"""Bounds on connections uvicorn leaves open-ended: how long request headers may take to arrive, and how
many connections one worker holds.

uvicorn's httptools protocol arms a timer only between requests (keep-alive), and cancels it on every
byte received, so a client that opens a connection and sends its headers one byte at a time is held
forever; its ``limit_concurrency`` answers only once headers are complete, which such a client never
reaches. A reverse proxy in front (see README) is still the first line in production.
"""

from __future__ import annotations

import asyncio
import functools
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.errors import RETRY_AFTER_SECONDS
from entrypoints.settings import Settings


def _answer(status: int, reason: str, code: str, message: str, extra_headers: str = "") -> bytes:
    """A whole response with the API's error body, written by the protocol before any app runs."""
    body = json.dumps({"error": message, "code": code, "status": status}, separators=(",", ":"))
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"connection: close\r\n{extra_headers}\r\n"
    )
    return (head + body).encode()


TIMED_OUT = _answer(408, "Request Timeout", "REQUEST_TIMEOUT", "Request headers not received in time")
OVER_CAPACITY = _answer(
    503,
    "Service Unavailable",
    "SERVICE_UNAVAILABLE",
    "Too many connections; retry later",
    f"retry-after: {RETRY_AFTER_SECONDS}\r\n",
)


LINGER_SECONDS = 2.0


@functools.cache
def _bounds() -> tuple[int, int]:
    """Read once per worker process (uvicorn imports this class by name in each worker)."""
    settings = Settings.from_env()
    return settings.header_timeout_seconds, settings.max_connections


class BoundedHttpProtocol(HttpToolsProtocol):
    """Closes a connection whose request headers take longer than EDGEFLEET_HEADER_TIMEOUT (counted
    from the connection, or from the first byte of a later request on it), and turns away connections
    beyond EDGEFLEET_MAX_CONNECTIONS with 503 before reading anything."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.header_timeout, max_connections = _bounds()
        over_capacity = len(self.connections) >= max_connections
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        if over_capacity:
            self.logger.warning("connection refused: %d connections open", len(self.connections) - 1)
            transport.write(OVER_CAPACITY)
            transport.close()
            return
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # a later request on a kept-alive connection: its own clock
            self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:  # a response of ours is being written
            self.transport.close()
            return
        # Lingering close: answer, end our side, and drop what the client still sends for a moment before
        # closing. Closing at once would answer the client's next byte with a reset, which makes its
        # kernel discard the 408 before the client has read it.
        self._lingering = True
        self.transport.write(TIMED_OUT)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if getattr(self, "_lingering", False):
            return  # the rest of a request already answered with 408
        super().data_received(data)


def bounded_protocol(header_timeout: float, max_connections: int) -> type[BoundedHttpProtocol]:
    """The protocol class for uvicorn's ``http=`` setting, with these bounds."""
    return type(
        "BoundedHttpProtocol",
        (BoundedHttpProtocol,),
        {"header_timeout": header_timeout, "max_connections": max_connections},
    )
