"""Request ids and the Prometheus scrape endpoint."""

from __future__ import annotations

import re

from litestar import MediaType, Response, get

from adapters.observability.prometheus import FleetMetrics

VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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
