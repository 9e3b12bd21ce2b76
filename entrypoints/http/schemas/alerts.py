"""Alert, health and alert-rule bodies: the API contract's keys first, then what the lifecycle adds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from domain.alert_rules import RuleSet
from domain.alerts import Alert
from domain.fleet_health import FleetHealth


class AlertView(Struct):
    id: str  # "alert-017": the API contract's style; the number alone is accepted back too
    device_id: str
    severity: str
    message: str
    timestamp: datetime  # when the alert was raised
    status: str
    rule: str
    subject: str | None  # the command kind of a command_failed alert
    value: float | None
    threshold: float | None
    updated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, a: Alert) -> AlertView:
        return cls(
            id=a.public_id,
            device_id=a.device_id,
            severity=a.severity.value,
            message=a.message,
            timestamp=a.started_at,
            status=a.status.value,
            rule=a.rule.value,
            subject=a.subject or None,
            value=a.value,
            threshold=a.threshold,
            updated_at=a.updated_at,
            acknowledged_by=a.acknowledged_by,
            acknowledged_at=a.acknowledged_at,
            resolved_at=a.resolved_at,
        )


class AlertList(Struct):
    alerts: list[AlertView]
    total: int
    limit: int
    offset: int


class HealthView(Struct):
    """The API contract's health body; counts are null when the database could not be asked."""

    overall_status: str
    devices_online: int | None
    devices_offline: int | None
    alerts: list[AlertView]
    timestamp: datetime
    devices_degraded: int | None
    channel: str = "connected"  # this API worker's link to the other workers (degraded when down)

    @classmethod
    def of(cls, h: FleetHealth) -> HealthView:
        return cls(
            h.overall_status,
            h.devices_online,
            h.devices_offline,
            [AlertView.of(a) for a in h.alerts],
            h.timestamp,
            h.devices_degraded,
            h.channel,
        )


class HealthUnavailable(HealthView):
    """503: the API contract's keys plus the error body every failure carries."""

    error: str = ""
    code: str = "SERVICE_UNAVAILABLE"
    status: int = 503


Seconds = Annotated[int, Meta(ge=0, le=7 * 86400)]


class ThresholdBody(Struct, forbid_unknown_fields=True):
    warning: float | UnsetType = UNSET
    critical: float | None | UnsetType = UNSET  # null: no critical level
    for_seconds: Seconds | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class EventRuleBody(Struct, forbid_unknown_fields=True):
    severity: Literal["critical", "warning", "info"] | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    escalate_after_seconds: Annotated[int, Meta(ge=1, le=7 * 86400)] | None | UnsetType = UNSET


class AlertRules(Struct, forbid_unknown_fields=True):
    """thresholds: platform -> rule (cpu_high, memory_high, temperature_high) -> limits;
    events: device_offline, attestation_failed, command_failed, rollout_aborted, update_attestation_failed.
    A PUT may leave out anything."""

    thresholds: dict[str, dict[str, ThresholdBody]] = {}
    events: dict[str, EventRuleBody] = {}

    @classmethod
    def of(cls, rules: RuleSet) -> AlertRules:
        return msgspec.convert(rules.to_document(), cls)

    def document(self) -> dict:
        return msgspec.to_builtins(self)  # fields left UNSET are left out: they keep the base value
