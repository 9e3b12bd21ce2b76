"""Litestar application factory: a table of contents; each part lives in its own module."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.middleware.base import DefineMiddleware

from entrypoints.container import Container, build_container
from entrypoints.http.audit_trail import AuditTrail
from entrypoints.http.dependencies import dependencies
from entrypoints.http.edge import EdgeMiddleware
from entrypoints.http.errors import document_errors, exception_to_http_response
from entrypoints.http.json_depth import DepthCheckedRequest
from entrypoints.http.lifespan import lifespan
from entrypoints.http.openapi import openapi_config
from entrypoints.http.routes import route_handlers


def create_app(container: Container | None = None) -> Litestar:
    container = container or build_container()
    settings = container.settings()
    audit_trail = AuditTrail(container.gateways.audit_log(), container.core.clock())
    app = Litestar(
        route_handlers=route_handlers(container),
        dependencies=dependencies(container),
        middleware=[DefineMiddleware(EdgeMiddleware, metrics=container.core.metrics(), audit=audit_trail)],
        exception_handlers={Exception: exception_to_http_response},
        request_max_body_size=settings.max_body_bytes,
        request_class=DepthCheckedRequest,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=openapi_config(),
        lifespan=[lifespan(container)],
        logging_config=None,  # the process configures logging (JSON lines in `edgefleet serve`)
        debug=False,
    )
    document_errors(app)
    return app
