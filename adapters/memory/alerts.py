"""In-memory alert store and unit of work: the fakes the alert use cases are unit-tested against."""

from __future__ import annotations

import copy
from datetime import datetime

from domain.alert_evaluation import Breach
from domain.alert_rule_document import RuleOverride
from domain.alert_rules import RuleName, Severity
from domain.alerts import Alert
from domain.devices import DeviceStatus
from domain.errors import Conflict, StoreUnavailable
from domain.pagination import Page, PageRequest
from ports.alerts import AlertFilter


class InMemoryAlertStore:
    """Committed state; set ``reachable = False`` to play a database that is down."""

    def __init__(self) -> None:
        self.alerts: dict[int, Alert] = {}
        self.breaches: dict[tuple[str, RuleName], Breach] = {}
        self.overrides: list[RuleOverride] = []
        self.device_statuses: dict[str, DeviceStatus] = {}
        self.reachable = True


class InMemoryAlertRepository:
    def __init__(self, alerts: dict[int, Alert]) -> None:
        self._alerts = alerts

    async def add(self, alert: Alert) -> None:
        mine = (alert.device_id, alert.key)
        if any(a.is_open and (a.device_id, a.key) == mine for a in self._alerts.values()):
            raise Conflict("an open alert of this rule already exists for the device")
        alert.id = max(self._alerts, default=0) + 1
        self._alerts[alert.id] = alert

    async def save(self, alert: Alert) -> None:
        self._alerts[alert.saved_id] = alert

    async def get(self, alert_id: int) -> Alert | None:
        return self._alerts.get(alert_id)

    async def open_for_device(self, device_id: str) -> list[Alert]:
        return [a for a in self._alerts.values() if a.device_id == device_id and a.is_open]

    async def open_of_rule(
        self, rule: RuleName, severities: frozenset[Severity], started_before: datetime, limit: int
    ) -> list[Alert]:
        found = [
            a
            for a in self._alerts.values()
            if a.rule == rule and a.is_open and a.severity in severities and a.started_at < started_before
        ]
        return sorted(found, key=lambda a: (a.started_at, a.id))[:limit]

    async def list(self, filters: AlertFilter, page: PageRequest) -> Page[Alert]:
        found = [
            a
            for a in self._alerts.values()
            if a.status in filters.statuses
            and (filters.severities is None or a.severity in filters.severities)
            and filters.device_id in (None, a.device_id)
        ]
        found.sort(key=lambda a: (a.started_at, a.id), reverse=True)
        return Page(found[page.offset : page.offset + page.limit], len(found), page.limit, page.offset)

    async def open_counts(self) -> dict[Severity, int]:
        counts: dict[Severity, int] = {}
        for alert in self._alerts.values():
            if alert.is_open:
                counts[alert.severity] = counts.get(alert.severity, 0) + 1
        return counts


class InMemoryBreachRepository:
    def __init__(self, breaches: dict[tuple[str, RuleName], Breach]) -> None:
        self._breaches = breaches

    async def for_device(self, device_id: str) -> dict[RuleName, Breach]:
        return {rule: breach for (device, rule), breach in self._breaches.items() if device == device_id}

    async def put(self, device_id: str, rule: RuleName, breach: Breach | None) -> None:
        if breach is None:
            self._breaches.pop((device_id, rule), None)
        else:
            self._breaches[(device_id, rule)] = breach


class InMemoryRuleRepository:
    def __init__(self, store: InMemoryAlertStore) -> None:
        self._store = store
        self.pending: list[RuleOverride] | None = None

    async def overrides(self) -> list[RuleOverride]:
        return list(self._store.overrides if self.pending is None else self.pending)

    async def replace(self, overrides: list[RuleOverride], by: str, at: datetime) -> None:
        self.pending = list(overrides)


class InMemoryDeviceStatusCounts:
    def __init__(self, statuses: dict[str, DeviceStatus]) -> None:
        self._statuses = statuses

    async def status_counts(self) -> dict[DeviceStatus, int]:
        counts: dict[DeviceStatus, int] = {}
        for status in self._statuses.values():
            counts[status] = counts.get(status, 0) + 1
        return counts


class InMemoryAlertUnitOfWork:
    """Works on deep copies; ``commit`` publishes them, anything else discards them."""

    def __init__(self, store: InMemoryAlertStore) -> None:
        self._store = store

    async def __aenter__(self) -> InMemoryAlertUnitOfWork:
        if not self._store.reachable:
            raise StoreUnavailable("Database unreachable (in-memory store switched off)")
        self._alerts = copy.deepcopy(self._store.alerts)
        self._breaches = dict(self._store.breaches)
        self.alerts = InMemoryAlertRepository(self._alerts)
        self.breaches = InMemoryBreachRepository(self._breaches)
        self.rules = InMemoryRuleRepository(self._store)
        self.devices = InMemoryDeviceStatusCounts(self._store.device_statuses)
        return self

    async def __aexit__(self, *exc_info) -> None:
        return None

    async def commit(self) -> None:
        self._store.alerts, self._store.breaches = self._alerts, self._breaches
        if self.rules.pending is not None:
            self._store.overrides = self.rules.pending

    async def rollback(self) -> None:
        await self.__aenter__()
