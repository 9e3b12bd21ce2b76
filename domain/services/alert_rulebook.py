"""The alert rules in force: base rules (defaults, or a rules file over them) with admins' overrides."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.access import Principal
from domain.alert_rule_document import document_from, merge_rules, overrides_from
from domain.alert_rules import RuleSet
from domain.errors import ValidationFailed
from ports.alerts import AlertUnitOfWork
from ports.clock import Clock
from ports.signals import Signals

logger = logging.getLogger("edgefleet.alerts")


class RuleBook:
    TOPIC = "cache:alert-rules"

    def __init__(
        self,
        uow: Callable[[], AlertUnitOfWork],
        clock: Clock,
        base: RuleSet,
        ttl_seconds: float,
        signals: Signals | None = None,
    ) -> None:
        self._uow, self._clock, self._base, self._signals = uow, clock, base, signals
        if signals is not None:
            signals.listen(self.TOPIC, self._forget)
        self._ttl = timedelta(seconds=ttl_seconds)
        self._cached: tuple[RuleSet, datetime] | None = None  # the rules, valid until

    async def current(self) -> RuleSet:
        """Cached for a few seconds: every heartbeat needs them. A change on another worker drops the
        cache at once over Signals (after the TTL at worst)."""
        now = self._clock.now()
        if self._cached is None or now >= self._cached[1]:
            async with self._uow() as uow:
                overrides = await uow.rules.overrides()
            try:
                rules = merge_rules(self._base, document_from(overrides))
            except ValidationFailed as exc:  # e.g. a rules file changed under the stored overrides
                logger.error("stored alert rule overrides ignored, they no longer fit: %s", exc.message)
                rules = self._base
            self._cached = (rules, now + self._ttl)
        return self._cached[0]

    async def replace(self, principal: Principal, document: dict[str, Any]) -> RuleSet:
        """Admins' overrides become exactly ``document`` (laid over the base rules); {} restores the base."""
        rules, now = merge_rules(self._base, document), self._clock.now()
        async with self._uow() as uow:
            await uow.rules.replace(overrides_from(document), principal.subject, now)
            await uow.commit()
        if self._signals is not None:
            self._signals.publish(self.TOPIC)  # first: it drops this worker's cache too
        self._cached = (rules, now + self._ttl)
        return rules

    def _forget(self, _topic: str) -> None:
        self._cached = None
