"""Periodic housekeeping inside the API process (idempotent, so several workers may all run it)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

logger = logging.getLogger("edgefleet.background")


async def _every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad round must not stop the housekeeping
            logger.exception("background job %s failed", name)
        await asyncio.sleep(seconds)


@asynccontextmanager
async def periodic_jobs(jobs: dict[str, tuple[float, Callable[[], Awaitable[object]]]]):
    tasks = [asyncio.create_task(_every(seconds, job, name), name=name) for name, (seconds, job) in jobs.items()]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
