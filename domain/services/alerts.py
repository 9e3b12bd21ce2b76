"""Alert use cases: evaluate rules as events arrive, list and acknowledge alerts, rules, fleet health."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.access import Principal
from domain.alert_evaluation import (
    judge_attestation,
    judge_command,
    judge_sample,
    judge_status,
    offline_escalation,
)
from domain.alert_rules import METRICS, RuleName, RuleSet, Severity
from domain.alerts import (
    OPEN,
    STATUS_FILTERS,
    Alert,
    AlertChanged,
    AlertNotFound,
    Finding,
    parse_alert_id,
)
from domain.bounded import make_room
from domain.errors import Conflict, StoreUnavailable, ValidationFailed
from domain.events import (
    AttestationRecorded,
    CommandChanged,
    DeviceStatusChanged,
    Event,
    RolloutChanged,
    SampleRecorded,
)
from domain.fleet_health import HEALTH_ALERTS, FleetHealth, judge_health, unavailable
from domain.pagination import Page, PageRequest
from domain.rollout_alerts import judge_rollout
from domain.services.alert_rulebook import RuleBook
from ports.alerts import AlertFilter, AlertUnitOfWork
from ports.clock import Clock
from ports.events import EventBus
from ports.signals import Signals

JUDGES: dict[type[Event], Callable[[RuleSet, Any], list[Finding]]] = {
    DeviceStatusChanged: judge_status,
    AttestationRecorded: judge_attestation,
    CommandChanged: judge_command,
    RolloutChanged: judge_rollout,
}
RELEVANT: tuple[type[Event], ...] = (SampleRecorded, *JUDGES)
_Changes = list[tuple[Alert, str]]
FIRST_PAGE = PageRequest(50)
THRESHOLD_RULES = frozenset(rule.value for rule in METRICS)
QUIET_TOPIC = "cache:alert-quiet:"


class QuietDevices:
    """Devices whose last evaluation here left no stored breach and no open threshold alert, until when
    that is trusted. Only an evaluation that ran alone, or ended last of overlapping ones none of which
    stored a breach, marks a device quiet (another may have read the store before a breach was
    written). Bounded: past ``capacity`` the oldest half is dropped (they take the store path again)."""

    def __init__(self, ttl: timedelta, capacity: int = 200_000) -> None:
        self._ttl, self._capacity = ttl, capacity
        self._until: dict[str, datetime] = {}
        self._running: dict[str, int] = {}  # device -> evaluations reading the store right now
        self._overlapped: set[str] = set()  # ...one of which stored a breach while others ran

    def holds(self, device_id: str, now: datetime) -> bool:
        until = self._until.get(device_id)
        return until is not None and now < until

    def forget(self, device_id: str) -> None:
        """Another worker stored a breach (or, with no id, messages were lost): judge from the store again."""
        if device_id:
            self._until.pop(device_id, None)
        else:
            self._until.clear()

    def begin(self, device_id: str) -> None:
        self._until.pop(device_id, None)
        self._running[device_id] = self._running.get(device_id, 0) + 1

    def end(self, device_id: str, now: datetime, quiet: bool) -> None:
        running = self._running.pop(device_id) - 1
        if not quiet:
            self._until.pop(device_id, None)
            if running:
                self._overlapped.add(device_id)
        elif not running and device_id not in self._overlapped and self._ttl > timedelta(0):
            # only the last of overlapping evaluations may say so: one still running may store a breach
            make_room(self._until, self._capacity)
            self._until[device_id] = now + self._ttl
        if running:
            self._running[device_id] = running
        else:
            self._overlapped.discard(device_id)


class AlertService:
    def __init__(
        self,
        uow: Callable[[], AlertUnitOfWork],
        clock: Clock,
        events: EventBus | None = None,
        base_rules: RuleSet | None = None,
        *,
        rules_ttl_seconds: float = 10.0,
        health_timeout_seconds: float = 5.0,
        quiet_ttl_seconds: float = 600.0,
        signals: Signals | None = None,
    ) -> None:
        """``base_rules``: the domain defaults, or those with a rules file laid over; admins' stored
        overrides go over them. Other workers' rule changes show within ``rules_ttl_seconds``.

        ``quiet_ttl_seconds``: how long a device known to have no stored breach and no open threshold
        alert is trusted to stay so, letting its within-limits samples skip the store (most samples
        of a healthy fleet). Only this process's own evaluations set it; a breach stored by any API
        worker clears it everywhere over ``signals`` (and, were a message lost, this late at worst).
        Longer than a heartbeat interval, or every heartbeat of a healthy device would read the store."""
        self._uow, self._clock, self._events = uow, clock, events
        self._rulebook = RuleBook(uow, clock, base_rules or RuleSet.defaults(), rules_ttl_seconds, signals)
        self._health_timeout = health_timeout_seconds
        self._quiet = QuietDevices(timedelta(seconds=quiet_ttl_seconds))
        self._signals = signals
        if signals is not None:
            signals.listen(QUIET_TOPIC, lambda topic: self._quiet.forget(topic.removeprefix(QUIET_TOPIC)))

    async def on_event(self, event: Event) -> None:
        """Event-bus handler: evaluate the rules the event touches and settle the device's alerts."""
        if not isinstance(event, RELEVANT):
            return
        rules = await self.rules()
        for attempt in (1, 2):
            try:
                changes = await self._evaluate(rules, event)
                break
            except Conflict:  # another worker raised the same alert first: the retry updates it instead
                if attempt == 2:
                    raise
        await self._publish(changes)

    async def _evaluate(self, rules: RuleSet, event: Event) -> _Changes:
        if isinstance(event, SampleRecorded):
            return await self._evaluate_sample(rules, event)
        findings = JUDGES[type(event)](rules, event)
        if not findings:
            return []  # e.g. a command being delivered: nothing to read or write
        async with self._uow() as uow:
            changes, _ = await self._settle(uow, event.device_id, findings)
            await uow.commit()
        return changes

    async def _evaluate_sample(self, rules: RuleSet, event: SampleRecorded) -> _Changes:
        now = self._clock.now()
        # a sample that breaches nothing can raise nothing (a finding's severity needs a held breach)
        if self._quiet.holds(event.device_id, now) and not any(
            judge_sample(rules, event.platform, event.sample, {})[1].values()
        ):
            return []  # nothing stored to clear, nothing open to resolve, nothing to raise
        self._quiet.begin(event.device_id)
        quiet = False
        try:
            async with self._uow() as uow:
                before = await uow.breaches.for_device(event.device_id)
                findings, after = judge_sample(rules, event.platform, event.sample, before)
                for rule, breach in after.items():
                    if breach != before.get(rule):
                        await uow.breaches.put(event.device_id, rule, breach)
                changes, open_after = await self._settle(uow, event.device_id, findings)
                await uow.commit()
            quiet = (
                open_after is not None
                and not any(after.values())
                and not any(rule in THRESHOLD_RULES for rule, _ in open_after)
            )
        finally:
            self._quiet.end(event.device_id, now, quiet)
        if not quiet and self._signals is not None:
            self._signals.publish(QUIET_TOPIC + event.device_id)  # other workers stop trusting it too
        return changes

    async def _settle(
        self, uow: AlertUnitOfWork, device_id: str, findings: list[Finding]
    ) -> tuple[_Changes, set[tuple[str, str]] | None]:
        """The changes, and the keys of the device's alerts open afterwards (None: not looked up)."""
        if not findings:
            return [], None
        now, changes = self._clock.now(), []
        open_alerts = {alert.key: alert for alert in await uow.alerts.open_for_device(device_id)}
        for finding in findings:
            alert = open_alerts.get((finding.rule.value, finding.subject))
            if finding.severity is None:
                if alert is not None:
                    alert.resolve(now)
                    await uow.alerts.save(alert)
                    changes.append((alert, "resolved"))
            elif alert is None:
                alert = Alert.raised(device_id, finding, now)
                await uow.alerts.add(alert)
                changes.append((alert, "raised"))
            else:
                if alert.observe(finding, now):
                    changes.append((alert, "escalated"))
                await uow.alerts.save(alert)
        return changes, {alert.key for alert in open_alerts.values() if alert.resolved_at is None} | {
            alert.key for alert, change in changes if change == "raised"
        }

    async def _publish(self, changes: _Changes) -> None:
        if self._events is not None:
            for alert, change in changes:
                snapshot = copy.copy(alert)  # later changes must not rewrite what listeners were told
                await self._events.publish(AlertChanged(alert.device_id, alert.updated_at, snapshot, change))

    async def escalate_offline(self, batch: int = 500) -> int:
        """Periodic job: no event arrives while a device is silent, so long outages are escalated here."""
        rule, now = (await self.rules()).event(RuleName.OFFLINE), self._clock.now()
        if not rule.enabled or rule.escalate_after_seconds is None:
            return 0
        lower = frozenset(s for s in Severity if s.rank < Severity.CRITICAL.rank)
        async with self._uow() as uow:
            changes = []
            stale = await uow.alerts.open_of_rule(
                RuleName.OFFLINE, lower, now - timedelta(seconds=rule.escalate_after_seconds), batch
            )
            for alert in stale:
                finding = offline_escalation(rule, alert.started_at, now)
                if finding is not None and alert.observe(finding, now):
                    await uow.alerts.save(alert)
                    changes.append((alert, "escalated"))
            await uow.commit()
        await self._publish(changes)
        return len(changes)

    async def list(
        self,
        status: str = "open",
        severity: Severity | None = None,
        device_id: str | None = None,
        page: PageRequest = FIRST_PAGE,
    ) -> Page[Alert]:
        if status not in STATUS_FILTERS:
            raise ValidationFailed(f"status must be one of {', '.join(STATUS_FILTERS)}")
        filters = AlertFilter(STATUS_FILTERS[status], frozenset({severity}) if severity else None, device_id)
        async with self._uow() as uow:
            return await uow.alerts.list(filters, page)

    async def acknowledge(self, alert_id: str, principal: Principal) -> Alert:
        async with self._uow() as uow:
            alert = await uow.alerts.get(parse_alert_id(alert_id))
            if alert is None:
                raise AlertNotFound(alert_id)
            changed = alert.acknowledge(principal.subject, self._clock.now())
            if changed:
                await uow.alerts.save(alert)
                await uow.commit()
        if changed:
            await self._publish([(alert, "acknowledged")])
        return alert

    async def rules(self) -> RuleSet:
        return await self._rulebook.current()

    async def replace_rules(self, principal: Principal, document: dict[str, Any]) -> RuleSet:
        return await self._rulebook.replace(principal, document)

    async def health(self) -> FleetHealth:
        """Never raises for an unreachable or hanging database: the answer is then "unavailable"."""
        now = self._clock.now()
        serious = AlertFilter(OPEN, frozenset({Severity.CRITICAL, Severity.WARNING}))
        try:
            async with asyncio.timeout(self._health_timeout), self._uow() as uow:
                devices = await uow.devices.status_counts()
                counts = await uow.alerts.open_counts()
                newest = await uow.alerts.list(serious, PageRequest(HEALTH_ALERTS))
        except StoreUnavailable as exc:
            return unavailable(now, exc.message)
        except TimeoutError:
            return unavailable(now, f"Database did not answer within {self._health_timeout:g} s")
        connected = self._signals is None or self._signals.connected
        return judge_health(devices, counts, newest.items, now, channel_connected=connected)
