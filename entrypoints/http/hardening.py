"""Edge hardening: rate limits for the device and enrolment paths, and security headers on every answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.agents import split_credential

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
]
# The API serves data, never pages, so nothing may run; the docs UI under /schema needs its own scripts.
API_ONLY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


def device_or_address(scope: Scope) -> str:
    """Agents behind one NAT share an address, so each device is limited on its own credential's id."""
    scheme, _, credential = header(scope, b"authorization").partition(" ")
    parts = split_credential(credential) if scheme.lower() == "bearer" else None
    if parts is not None:
        return "device:" + parts[0][:64]
    return _address(scope)


class RateLimit:
    """A fixed one-minute window per caller, counted in this worker. Litestar's own limiter keeps its
    counters in a store behind a lock, which cost a heartbeat more than the rest of its checks."""

    def __init__(
        self, app: ASGIApp, per_minute: int, key: Callable[[Scope], str] = _address, clock=time.monotonic
    ) -> None:
        self._app, self._limit, self._key, self._clock = app, per_minute, key, clock
        self._window = -1
        self._counts: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            now = self._clock()
            window = int(now // 60)
            if window != self._window:  # a new minute: every budget starts again
                self._window, self._counts = window, {}
            key = self._key(scope)
            used = self._counts.get(key, 0) + 1
            self._counts[key] = used
            if used > self._limit:
                retry_after = max(1, int((window + 1) * 60 - now))
                raise TooManyRequestsException(
                    "Rate limit exceeded; retry later", headers={"Retry-After": str(retry_after)}
                )
        await self._app(scope, receive, send)


def agent_rate_limit(per_minute: int) -> DefineMiddleware:
    return DefineMiddleware(RateLimit, per_minute=per_minute, key=device_or_address)


def enrol_rate_limit(per_minute: int) -> DefineMiddleware:
    return DefineMiddleware(RateLimit, per_minute=per_minute)


def has_nul(scope: Scope) -> bool:
    """NUL never belongs in a path or query, and PostgreSQL text cannot even hold it."""
    raw = scope.get("raw_path") or scope["path"].encode()
    return (
        b"%00" in raw or b"\x00" in raw or b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]
    )
