"""The one layer every HTTP request passes: request id, security headers, route latency, audit trail.

One layer, not four, because each ASGI wrapper costs a call frame and a ``send`` closure per message
on every request, heartbeats included: here there is one of each, and a request that is not audited
(reads, device traffic) pays nothing for the audit trail.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPResponseBodyEvent, HTTPResponseStartEvent

from adapters.observability.json_logs import request_id
from adapters.observability.prometheus import FleetMetrics
from entrypoints.http.audit_trail import MAX_BODY, MUTATING, AuditTrail
from entrypoints.http.hardening import API_ONLY_HEADERS, SECURITY_HEADERS, has_nul, header
from entrypoints.http.observability import VALID_REQUEST_ID

NUL_BODY = b'{"error":"NUL bytes are not allowed in paths or queries","code":"VALIDATION_ERROR","status":400}'
API_HEADERS = SECURITY_HEADERS + API_ONLY_HEADERS
API_HEADER_NAMES = frozenset(name for name, _ in API_HEADERS)


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, metrics: FleetMetrics, audit: AuditTrail) -> None:
        self._app, self._metrics, self._audit = app, metrics, audit
        self._timers: dict[tuple[str, str, str], Any] = {}  # one histogram child per label set

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        scope = cast(HTTPScope, scope)
        # the docs UI under /schema runs its own scripts; everything else serves data, never pages
        extra = SECURITY_HEADERS if scope["path"].startswith("/schema") else API_HEADERS
        if has_nul(scope):
            headers = [(b"content-type", b"application/json"), *extra]
            start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 400, "headers": headers}
            end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": NUL_BODY, "more_body": False}
            await send(start)
            await send(end)
            return
        given = header(scope, b"x-request-id")
        rid = given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        body: bytearray | None = bytearray() if scope["method"] in MUTATING else None
        started = time.perf_counter()

        async def tee_receive() -> ReceiveMessage:
            message = await receive()
            if body is not None and message["type"] == "http.request" and len(body) < MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY - len(body)])
            return message

        async def send_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers} & API_HEADER_NAMES
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            if body is not None and not self._audit.wants_body(scope):
                body = None  # routed to a call the trail never records (heartbeats ...)
            await self._app(scope, tee_receive if body is not None else receive, send_edge)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            request_id.reset(token)
            if body is not None:
                await self._audit.record(scope, bytes(body), status, rid)

    def _observe(self, scope: HTTPScope, status: int, seconds: float) -> None:
        handler = scope.get("route_handler")
        route = getattr(handler, "operation_id", None) or ("unmatched" if handler is None else scope["path"])
        key = (scope["method"], str(route), f"{status // 100}xx")
        timer = self._timers.get(key)
        if timer is None:
            timer = self._timers[key] = self._metrics.request_seconds.labels(*key)
        timer.observe(seconds)
