"""The API's routers: the operator side under /api/v1/edge (bearer JWT), the device side under
/api/v1/agent (enrolment token, then the device credential)."""

from __future__ import annotations

from litestar import Router, get
from litestar.middleware.base import DefineMiddleware

from entrypoints.container import Container
from entrypoints.http.auth import BearerTokenMiddleware
from entrypoints.http.console import console_routes
from entrypoints.http.controllers.agent import AgentController, DeviceCredentialMiddleware, EnrolController
from entrypoints.http.controllers.alerts import AlertController, HealthController
from entrypoints.http.controllers.attestation import AttestationController, PolicyController
from entrypoints.http.controllers.audit import AuditController
from entrypoints.http.controllers.bulk import BulkController
from entrypoints.http.controllers.commands import CommandController
from entrypoints.http.controllers.compliance import ComplianceController
from entrypoints.http.controllers.devices import DeviceController
from entrypoints.http.controllers.event_policies import EventPolicyController
from entrypoints.http.controllers.fleet import FleetController
from entrypoints.http.controllers.groups import GroupController, TagController
from entrypoints.http.controllers.rollouts import FirmwareController, RolloutController
from entrypoints.http.controllers.sealing import AgentSealController, SealController
from entrypoints.http.controllers.stream import stream_events
from entrypoints.http.hardening import agent_rate_limit, enrol_rate_limit
from entrypoints.http.observability import metrics_endpoint


@get("/healthz", operation_id="liveness", tags=["ops"], sync_to_thread=False)
def liveness() -> dict[str, str]:
    """Process liveness for load balancers; no auth, no database."""
    return {"status": "ok"}


def operator_api(container: Container) -> Router:
    return Router(
        path="/api/v1/edge",
        route_handlers=[
            BulkController,
            DeviceController,
            CommandController,
            AttestationController,
            PolicyController,
            EventPolicyController,
            FleetController,
            AuditController,
            ComplianceController,
            SealController,
            AlertController,
            HealthController,
            GroupController,
            TagController,
            FirmwareController,
            RolloutController,
            stream_events,
        ],
        middleware=[DefineMiddleware(BearerTokenMiddleware, tokens=container.core.tokens())],
        security=[{"bearerAuth": []}],
    )


def device_api(container: Container) -> Router:
    settings, services = container.settings(), container.services
    return Router(
        path="/api/v1/agent",
        route_handlers=[
            Router(
                path="/",
                route_handlers=[EnrolController],
                middleware=[enrol_rate_limit(settings.rate_limit_enrol_per_minute)],
            ),
            Router(
                path="/",
                route_handlers=[AgentController, AgentSealController],
                middleware=[
                    agent_rate_limit(settings.rate_limit_agent_per_minute),
                    # a closure, not the provider: Litestar deep-copies nested routers,
                    # and a copied provider would build a second AgentService (and engine)
                    DefineMiddleware(DeviceCredentialMiddleware, agents=lambda: services.agents()),
                ],
                security=[{"deviceCredential": []}],
            ),
        ],
    )


def route_handlers(container: Container) -> list:
    return [
        liveness,
        metrics_endpoint(container.core.metrics()),
        operator_api(container),
        device_api(container),
        *console_routes(container),
    ]
