"""Request ids, per-route latency and the Prometheus scrape endpoint."""

from __future__ import annotations

import re
import time
import uuid

from litestar import MediaType, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.observability.json_logs import request_id
from adapters.observability.prometheus import FleetMetrics

VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestMetricsMiddleware:
    """Gives every request an id (the caller's X-Request-ID when sane), echoes it, and times the route."""

    def __init__(self, app: ASGIApp, metrics: FleetMetrics) -> None:
        self._app, self._metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        rid = given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = [500]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = list(message.get("headers", [])) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            handler = scope.get("route_handler")
            route = getattr(handler, "operation_id", None) or (
                "unmatched" if handler is None else scope["path"]
            )
            self._metrics.request_seconds.labels(
                scope["method"], str(route), f"{status[0] // 100}xx"
            ).observe(time.perf_counter() - started)
            request_id.reset(token)


def metrics_endpoint(metrics: FleetMetrics):
    @get(
        "/metrics",
        operation_id="prometheusMetrics",
        tags=["ops"],
        include_in_schema=False,
        sync_to_thread=False,
    )
    def prometheus() -> Response[bytes]:
        """Prometheus text exposition (no auth: aggregate figures only; restrict at the network edge)."""
        return Response(metrics.exposition(), media_type=MediaType.TEXT)

    return prometheus
