"""An in-process HTTP client for the real app over a real database."""
from __future__ import annotations

from contextlib import asynccontextmanager

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app


@asynccontextmanager
async def api_client(container):
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client
