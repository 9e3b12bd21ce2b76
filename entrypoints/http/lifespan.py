"""What runs beside the requests: the channel to the other workers, the live relay, background jobs."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager

from litestar import Litestar

from domain.jobs import JobRunner
from entrypoints.container import Container, channels, shutdown_container
from entrypoints.jobs import server_jobs


def lifespan(container: Container):
    @asynccontextmanager
    async def running(_: Litestar):
        async with AsyncExitStack() as stack:
            stack.push_async_callback(shutdown_container, container)  # last out
            for channel in channels(container):  # signals between workers, the live relay (Redis)
                await channel.start()
                stack.push_async_callback(channel.stop)
            runner = JobRunner(server_jobs(container), container.gateways.leadership())
            await stack.enter_async_context(runner.running())
            yield

    return running
