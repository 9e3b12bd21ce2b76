"""Background jobs: a use case and a schedule. Fleet-wide jobs run on one worker of the fleet (the
Leadership port decides which), per-worker ones (e.g. this process's gauges) everywhere."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ports.maintenance import Leadership

logger = logging.getLogger("edgefleet.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[object]]
    fleet_wide: bool = True  # False: every worker runs it for itself


class JobRunner:
    def __init__(self, jobs: list[Job], leadership: Leadership) -> None:
        self._jobs, self._leadership = jobs, leadership

    async def run_once(self, job: Job) -> bool:
        """One round of ``job`` if this worker should run it; False when another worker does."""
        if job.fleet_wide and not await self._leadership.holds():
            return False
        await job.run()
        return True

    async def _loop(self, job: Job) -> None:
        while True:
            try:
                await self.run_once(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad round must not stop the housekeeping
                logger.exception("background job %s failed", job.name)
            await asyncio.sleep(job.every_seconds)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[JobRunner]:
        tasks = [asyncio.create_task(self._loop(job), name=job.name) for job in self._jobs]
        try:
            yield self
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._leadership.release()
