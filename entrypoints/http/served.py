"""The app as `edgefleet serve` runs it in each worker process: logging set up, then the app built
from the environment (uvicorn calls this factory once per worker)."""

from __future__ import annotations

import os

from litestar import Litestar

from adapters.observability.json_logs import configure_json_logging
from entrypoints.http.app import create_app


def served_app() -> Litestar:
    configure_json_logging(os.environ.get("EDGEFLEET_LOG_LEVEL", "info"))
    return create_app()
