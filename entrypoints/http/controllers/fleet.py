"""Fleet-wide endpoints: security metrics (API contract) and enrolment tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta, Struct

from domain.access import Permission
from domain.devices import DEVICE_ID_PATTERN
from domain.security import device_binding_percent, seal_status
from domain.services.agents import AgentService
from domain.services.devices import DeviceInventory
from domain.services.uptime import UptimeService
from entrypoints.http.auth import requires
from entrypoints.http.schemas.attestation import SecurityMetrics
from entrypoints.settings import Settings


class TokenRequest(Struct, forbid_unknown_fields=True):
    expires_in: Annotated[int, Meta(ge=60, le=30 * 86400)] = 86400
    device_id: Annotated[str, Meta(pattern=DEVICE_ID_PATTERN.pattern)] | None = None


class TokenCreated(Struct):
    token: str
    expires_at: datetime
    device_id: str | None


LOCATIONS_SHOWN = 50


class FleetSummary(Struct):
    """Devices by status, platform and location (the largest 50; ``other`` counts the rest, ``none`` the
    devices without a location)."""

    total: int
    by_status: dict[str, int]
    by_platform: dict[str, int]
    by_location: dict[str, int]


def summarise(groups: list[tuple[str, str, str | None, int]]) -> FleetSummary:
    by_status: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    by_location: dict[str, int] = {}
    for platform, status, location, n in groups:
        by_status[status] = by_status.get(status, 0) + n
        by_platform[platform] = by_platform.get(platform, 0) + n
        by_location[location or "none"] = by_location.get(location or "none", 0) + n
    ranked = sorted(by_location.items(), key=lambda item: (-item[1], item[0]))
    shown = dict(ranked[:LOCATIONS_SHOWN])
    if len(ranked) > LOCATIONS_SHOWN:
        shown["other"] = sum(n for _, n in ranked[LOCATIONS_SHOWN:])
    return FleetSummary(sum(by_status.values()), by_status, by_platform, shown)


class FleetController(Controller):
    tags = ["fleet"]

    @get("/fleet/summary", operation_id="fleetSummary", guards=[requires(Permission.DEVICES_READ)])
    async def fleet_summary(self, inventory: NamedDependency[DeviceInventory]) -> FleetSummary:
        """Exact counts kept by database triggers: never a scan of the fleet."""
        return summarise(await inventory.breakdown())

    @get("/metrics", operation_id="securityMetrics", guards=[requires(Permission.METRICS_READ)])
    async def security_metrics(
        self,
        inventory: NamedDependency[DeviceInventory],
        settings: NamedDependency[Settings],
        uptime: NamedDependency[UptimeService],
    ) -> SecurityMetrics:
        counts = await inventory.security_counts(timedelta(seconds=settings.attestation_max_age_seconds))
        fleet = (await uptime.fleet()).percent
        return SecurityMetrics(
            total_devices=counts.total_devices,
            secure_devices=counts.secure_devices,
            attestation_success=counts.attested_fresh,
            encryption_enabled=counts.sealed_devices,
            seal_status=seal_status(counts),
            device_binding=device_binding_percent(counts),
            uptime_percent_24h=fleet["24h"],
            uptime_percent_7d=fleet["7d"],
        )

    @post(
        "/enrollment-tokens",
        operation_id="createEnrollmentToken",
        guards=[requires(Permission.ENROLMENT_ADMIN)],
        status_code=201,
    )
    async def create_enrollment_token(
        self, request: Request, data: JSONBody[TokenRequest], agents: NamedDependency[AgentService]
    ) -> TokenCreated:
        """A one-time token for one device to enrol with; shown only in this response."""
        token, secret = await agents.create_enrollment_token(
            request.user, timedelta(seconds=data.expires_in), data.device_id
        )
        return TokenCreated(secret, token.expires_at, token.device_id)
