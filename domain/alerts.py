"""Alerts: one open alert per device, rule and subject, living active -> acknowledged -> resolved.

A rule's finding about a device either raises an alert, updates the open one (new value; a higher
severity escalates it and asks for a fresh acknowledgement), or, when the condition cleared, resolves it.
Severity never drops while an alert is open: the operator sees the worst level reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.alert_rules import RuleName, Severity
from domain.errors import Conflict, DomainError
from domain.events import Event


class AlertStatus(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


OPEN = frozenset({AlertStatus.ACTIVE, AlertStatus.ACKNOWLEDGED})
# What the listing's ``status`` parameter accepts: a state, or "open" (the default) and "all".
STATUS_FILTERS = {"open": OPEN, "all": frozenset(AlertStatus)} | {
    s.value: frozenset({s}) for s in AlertStatus
}
_PUBLIC_ID = re.compile(r"^(?:alert-)?0*(\d{1,18})$")


class AlertNotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, alert_id: str) -> None:
        super().__init__(f"Alert not found: {alert_id}", details={"alert_id": alert_id})


@dataclass(frozen=True)
class Finding:
    """A rule's conclusion about a device: ``severity`` None means the condition is clear."""

    rule: RuleName
    severity: Severity | None
    message: str = ""
    value: float | None = None
    threshold: float | None = None
    subject: str = ""  # tells apart alerts of one rule on one device (the command kind)

    def held(self) -> Severity:
        """The severity of a condition that holds (only those raise or update an alert)."""
        if self.severity is None:
            raise ValueError(f"{self.rule} is clear: nothing to raise")
        return self.severity


@dataclass(eq=False)
class Alert:
    device_id: str
    rule: RuleName
    severity: Severity
    message: str
    started_at: datetime
    updated_at: datetime
    subject: str = ""
    value: float | None = None
    threshold: float | None = None
    status: AlertStatus = AlertStatus.ACTIVE
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def saved_id(self) -> int:
        """The id the store gave it when it was raised."""
        if self.id is None:
            raise ValueError("the alert has not been stored yet")
        return self.id

    @classmethod
    def raised(cls, device_id: str, finding: Finding, now: datetime) -> Alert:
        return cls(
            device_id,
            finding.rule,
            finding.held(),
            finding.message,
            now,
            now,
            finding.subject,
            finding.value,
            finding.threshold,
        )

    @property
    def key(self) -> tuple[str, str]:
        return self.rule.value, self.subject

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def public_id(self) -> str:
        return f"alert-{self.id:03d}"

    def observe(self, finding: Finding, now: datetime) -> bool:
        """The condition holds again; True when this escalated the alert."""
        severity = finding.held()
        escalated = severity.rank > self.severity.rank
        if escalated:
            self.severity, self.threshold = severity, finding.threshold
            self.status, self.acknowledged_by, self.acknowledged_at = AlertStatus.ACTIVE, None, None
        if escalated or finding.severity is self.severity:
            self.message = finding.message
        self.value, self.updated_at = finding.value, now
        return escalated

    def acknowledge(self, by: str, now: datetime) -> bool:
        """Someone is on it; False when it already was acknowledged (the first acknowledger stays)."""
        if self.status is AlertStatus.RESOLVED:
            raise Conflict(f"Alert {self.public_id} is already resolved")
        if self.status is AlertStatus.ACKNOWLEDGED:
            return False
        self.status, self.acknowledged_by, self.acknowledged_at, self.updated_at = (
            AlertStatus.ACKNOWLEDGED,
            by,
            now,
            now,
        )
        return True

    def resolve(self, now: datetime) -> None:
        self.status, self.resolved_at, self.updated_at = AlertStatus.RESOLVED, now, now


def parse_alert_id(text: str) -> int:
    """``alert-017``, ``alert-17`` or ``17``."""
    match = _PUBLIC_ID.match(text.strip())
    if match is None:
        raise AlertNotFound(text)
    return int(match.group(1))


@dataclass(frozen=True)
class AlertChanged(Event):
    """Published after an alert was raised, escalated, acknowledged or resolved (not on value updates)."""

    alert: Alert
    change: str  # raised | escalated | acknowledged | resolved
