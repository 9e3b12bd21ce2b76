"""The floor of the server benchmarks: a minimal Litestar app, served by the same uvicorn (httptools,
uvloop) with the same worker count as edgefleet, answering a small JSON body and nothing else."""

from __future__ import annotations

from litestar import Litestar, get


@get("/floor", sync_to_thread=False)
def floor() -> dict[str, str]:
    return {"status": "ok"}


def create_floor_app() -> Litestar:
    return Litestar(route_handlers=[floor], logging_config=None)
