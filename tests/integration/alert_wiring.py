"""The alert service and live stream as the composition root wires them, plus a client on the app."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from adapters.live_stream import LiveStream
from domain.services.alerts import AlertService
from entrypoints.http.app import create_app


def wire_alerts(container, engine=None) -> tuple[AlertService, LiveStream]:
    if engine is not None:  # a service on another (e.g. unreachable) database
        from adapters.persistence.alert_store import SqlAlertUnitOfWork

        return (
            AlertService(lambda: SqlAlertUnitOfWork(engine), container.core.clock(), container.core.events()),
            container.core.live_stream(),
        )
    return container.services.alerts(), container.core.live_stream()


def alert_app(container, service: AlertService, stream: LiveStream) -> Litestar:
    container.services.alerts.override(service)
    container.core.live_stream.override(stream)
    return create_app(container)


@asynccontextmanager
async def alert_client(app: Litestar):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client
