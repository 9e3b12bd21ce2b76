"""An in-process HTTP client for the real app over a real database, on the test's own event loop.

(Litestar's AsyncTestClient runs the app on a portal thread, which blocks the test loop during a
request and moves database connections between loops.) The lifespan is not run: the container
fixture owns start-up and shutdown.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx

from entrypoints.http.app import create_app


@asynccontextmanager
async def api_client(container):
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
