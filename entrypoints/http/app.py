"""Litestar application factory."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta

from litestar import Litestar, Router, get
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from adapters.persistence.retention import prepare_partitions, purge
from adapters.persistence.rollups import roll_up
from entrypoints.container import Container, build_container, shutdown_container
from entrypoints.http.audit_middleware import AuditMiddleware
from entrypoints.http.auth import BearerTokenMiddleware
from entrypoints.http.background import periodic_jobs
from entrypoints.http.controllers.agent import AgentController, DeviceCredentialMiddleware, EnrolController
from entrypoints.http.controllers.alerts import AlertController, HealthController
from entrypoints.http.controllers.attestation import AttestationController, PolicyController
from entrypoints.http.controllers.audit import AuditController
from entrypoints.http.controllers.bulk import BulkController
from entrypoints.http.controllers.commands import CommandController
from entrypoints.http.controllers.compliance import ComplianceController
from entrypoints.http.controllers.devices import DeviceController
from entrypoints.http.controllers.fleet import FleetController
from entrypoints.http.controllers.sealing import AgentSealController, SealController
from entrypoints.http.controllers.stream import stream_events
from entrypoints.http.errors import document_errors, exception_to_http_response
from entrypoints.http.hardening import SecurityHeadersMiddleware, agent_rate_limit, enrol_rate_limit
from entrypoints.http.json_depth import DepthCheckedRequest
from entrypoints.http.observability import RequestMetricsMiddleware, metrics_endpoint


@get("/healthz", operation_id="liveness", tags=["ops"], sync_to_thread=False)
def liveness() -> dict[str, str]:
    """Process liveness for load balancers; no auth, no database."""
    return {"status": "ok"}


def create_app(container: Container | None = None) -> Litestar:
    container = container or build_container()
    settings = container.settings()
    services = container.services

    edge = Router(
        path="/api/v1/edge",
        route_handlers=[BulkController, DeviceController, CommandController, AttestationController, PolicyController,
                        FleetController, AuditController, ComplianceController, SealController,
                        AlertController, HealthController, stream_events],
        middleware=[DefineMiddleware(BearerTokenMiddleware, tokens=container.core.tokens())],
        security=[{"bearerAuth": []}],
    )
    agent = Router(
        path="/api/v1/agent",
        route_handlers=[
            Router(path="/", route_handlers=[EnrolController],
                   middleware=[enrol_rate_limit(settings.rate_limit_enrol_per_minute).middleware]),
            Router(path="/", route_handlers=[AgentController, AgentSealController],
                   middleware=[agent_rate_limit(settings.rate_limit_agent_per_minute).middleware,
                               # a closure, not the provider: Litestar deep-copies nested routers,
                               # and a copied provider would build a second AgentService (and engine)
                               DefineMiddleware(DeviceCredentialMiddleware, agents=lambda: services.agents())],
                   security=[{"deviceCredential": []}]),
        ],
    )

    async def refresh_gauges() -> None:
        metrics, counts = container.core.metrics(), await container.gateways.fleet_queries().operational_counts()
        metrics.queue_depth.set(counts.pop("queued_commands", 0))
        for status in ("online", "offline", "degraded", "unknown"):
            metrics.devices.labels(status).set(counts.get(status, 0))

    async def roll_up_metrics() -> None:
        await roll_up(container.gateways.engine(), container.core.clock().now())

    async def apply_metrics_retention() -> None:
        engine, now = container.gateways.engine(), container.core.clock().now()
        await prepare_partitions(engine, now.date())  # PostgreSQL: the coming days' partitions
        await purge(engine, now, settings.metrics_retention)

    @asynccontextmanager
    async def lifespan(_: Litestar):
        jobs = {
            "expire-commands": (5.0, services.commands().expire_due),
            "mark-offline": (max(1.0, settings.heartbeat_interval_seconds / 3), services.agents().sweep_offline),
            "gauges": (15.0, refresh_gauges),
            "metrics-rollup": (60.0, roll_up_metrics),
            "metrics-retention": (600.0, apply_metrics_retention),
            "escalate-offline-alerts": (60.0, services.alerts().escalate_offline),
        }
        if settings.attestation_interval_seconds > 0:
            every = timedelta(seconds=settings.attestation_interval_seconds)
            jobs["attest-due"] = (min(60.0, every.total_seconds() / 2),
                                  lambda: services.bulk().attest_due(every, container.core.clock().now()))
        relay = container.gateways.live_relay() if settings.redis_url else None
        try:
            if relay is not None:
                await relay.start()
            async with periodic_jobs(jobs):
                yield
        finally:
            if relay is not None:
                await relay.stop()
            await shutdown_container(container)

    def provide(provider):
        return Provide(lambda: provider(), sync_to_thread=False)

    app = Litestar(
        route_handlers=[liveness, metrics_endpoint(container.core.metrics()), edge, agent],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "inventory": provide(services.inventory),
            "commands": provide(services.commands),
            "agents": provide(services.agents),
            "attestation": provide(services.attestation),
            "enrolment": provide(services.enrolment),
            "policies": provide(services.policies),
            "gateway": provide(container.gateways.device_gateway),
            "audit_log": provide(container.gateways.audit_log),
            "compliance": provide(services.compliance),
            "bulk": provide(services.bulk),
            "sealing": provide(services.sealing),
            "alerts": provide(services.alerts),
            "live_stream": provide(container.core.live_stream),
            "tokens": provide(container.core.tokens),
        },
        middleware=[DefineMiddleware(RequestMetricsMiddleware, metrics=container.core.metrics()),
                    SecurityHeadersMiddleware, DefineMiddleware(AuditMiddleware, audit_log=container.gateways.audit_log(),
                                     clock=container.core.clock())],
        exception_handlers={Exception: exception_to_http_response},
        request_max_body_size=settings.max_body_bytes,
        request_class=DepthCheckedRequest,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=OpenAPIConfig(
            title="edgefleet",
            version="0.1.0",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                    "deviceCredential": SecurityScheme(type="http", scheme="bearer",
                                                       description="<device_id>.<secret> from enrolment"),
                }
            ),
        ),
        lifespan=[lifespan],
        logging_config=None,  # the process configures logging (JSON lines in `edgefleet serve`)
        debug=False,
    )
    document_errors(app)
    return app
