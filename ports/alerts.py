"""What the alert use cases need from storage: alerts, breach state, rule overrides and device counts.

Alerts keep their own unit of work (apart from the inventory's): they are evaluated after the event's
own transaction committed, and a failure here must never undo a heartbeat. Adapters turn "database not
reachable" into ``domain.alerts.StoreUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.alert_evaluation import Breach
from domain.alert_rule_document import RuleOverride
from domain.alert_rules import RuleName, Severity
from domain.alerts import OPEN, Alert, AlertStatus
from domain.devices import DeviceStatus
from domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class AlertFilter:
    statuses: frozenset[AlertStatus] = OPEN
    severities: frozenset[Severity] | None = None
    device_id: str | None = None


class AlertRepository(Protocol):
    async def add(self, alert: Alert) -> None:
        """Insert and set ``alert.id``. Raises Conflict when the device already has an open alert with the
        same rule and subject (another worker raised it first)."""
        ...

    async def save(self, alert: Alert) -> None:
        """Write back a changed alert."""
        ...

    async def get(self, alert_id: int) -> Alert | None: ...

    async def open_for_device(self, device_id: str) -> list[Alert]: ...

    async def open_of_rule(
        self, rule: RuleName, severities: frozenset[Severity], started_before: datetime, limit: int
    ) -> list[Alert]:
        """Open alerts of ``rule`` at one of ``severities`` raised before ``started_before``, oldest first."""
        ...

    async def list(self, filters: AlertFilter, page: PageRequest) -> Page[Alert]:
        """Newest first (by ``started_at``, then id); ``total`` counts every match."""
        ...

    async def open_counts(self) -> dict[Severity, int]:
        """Open alerts per severity."""
        ...


class BreachRepository(Protocol):
    async def for_device(self, device_id: str) -> dict[RuleName, Breach]: ...

    async def put(self, device_id: str, rule: RuleName, breach: Breach | None) -> None:
        """Insert or replace; None forgets it."""
        ...


class AlertRuleRepository(Protocol):
    async def overrides(self) -> list[RuleOverride]: ...

    async def replace(self, overrides: list[RuleOverride], by: str, at: datetime) -> None:
        """The stored overrides become exactly ``overrides``."""
        ...


class DeviceStatusCounts(Protocol):
    async def status_counts(self) -> dict[DeviceStatus, int]:
        """Devices per status, decommissioned ones left out."""
        ...


class AlertUnitOfWork(Protocol):
    """Leaving the block without ``commit()`` rolls everything back."""

    alerts: AlertRepository
    breaches: BreachRepository
    rules: AlertRuleRepository
    devices: DeviceStatusCounts

    async def __aenter__(self) -> AlertUnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
