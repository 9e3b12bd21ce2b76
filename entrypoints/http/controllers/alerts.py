"""Alert endpoints (API contract: GET /alerts, GET /health) plus acknowledging and the rule thresholds."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from domain.access import Permission, Principal, Role
from domain.alert_rules import Severity
from domain.alerts import STATUS_FILTERS
from domain.pagination import PageRequest
from domain.services.alerts import AlertService
from entrypoints.http.auth import requires
from entrypoints.http.errors import RETRY_AFTER_SECONDS
from entrypoints.http.params import Offset
from entrypoints.http.schemas.alerts import AlertList, AlertRules, AlertView, HealthUnavailable, HealthView

Alerts = NamedDependency[AlertService]
ALERT_PAGE_MAX = 500


async def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Changing thresholds changes what the whole fleet is warned about: admins only."""
    principal: Principal = connection.user
    if principal.role is not Role.ADMIN:
        raise PermissionDeniedException(f"Role '{principal.role}' may not change alert rules")


class AlertController(Controller):
    path = "/alerts"
    tags = ["alerts"]

    @get("/", operation_id="listAlerts", guards=[requires(Permission.ALERTS_READ)])
    async def list_alerts(
        self,
        alerts: Alerts,
        severity: FromQuery[Severity | None] = None,
        device_id: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        status: Annotated[
            str, QueryParameter(description=f"{' | '.join(STATUS_FILTERS)} (open: active or acknowledged)")
        ] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=ALERT_PAGE_MAX)] = 50,
        offset: Offset = 0,
    ) -> AlertList:
        """Newest first; open (active or acknowledged) alerts unless ``status`` says otherwise."""
        page = await alerts.list(
            status, severity, device_id, PageRequest.checked(limit, offset, ALERT_PAGE_MAX)
        )
        return AlertList([AlertView.of(a) for a in page.items], page.total, page.limit, page.offset)

    @post(
        "/{alert_id:str}/acknowledge",
        operation_id="acknowledgeAlert",
        guards=[requires(Permission.ALERTS_ACK)],
        status_code=200,
    )
    async def acknowledge_alert(self, request: Request, alert_id: FromPath[str], alerts: Alerts) -> AlertView:
        """active -> acknowledged (again: unchanged, the first acknowledger stays); 409 once resolved."""
        return AlertView.of(await alerts.acknowledge(alert_id, request.user))

    @get("/rules", operation_id="getAlertRules", guards=[requires(Permission.ALERTS_READ)])
    async def get_rules(self, alerts: Alerts) -> AlertRules:
        """The thresholds in force: defaults, the rules file, then admins' overrides."""
        return AlertRules.of(await alerts.rules())

    @put("/rules", operation_id="putAlertRules", guards=[admin_only])
    async def put_rules(self, request: Request, data: JSONBody[AlertRules], alerts: Alerts) -> AlertRules:
        """Admins' overrides become exactly this document (anything left out keeps its default); {} resets."""
        return AlertRules.of(await alerts.replace_rules(request.user, data.document()))


class HealthController(Controller):
    tags = ["fleet"]

    @get("/health", operation_id="fleetHealth", guards=[requires(Permission.DEVICES_READ)])
    async def health(self, alerts: Alerts) -> Response[HealthView]:
        """healthy / degraded / critical (the rule: domain/fleet_health.py); 503 "unavailable" without a
        database."""
        health = await alerts.health()
        if not health.available:
            body = HealthUnavailable(
                health.overall_status,
                None,
                None,
                [],
                health.timestamp,
                None,
                error=health.error or "Database unavailable",
            )
            return Response(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return Response(HealthView.of(health), status_code=200)
