"""The operational log lines the API contract asks for, written from domain events on logger
``edge_device_service``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from domain.alert_rules import RuleName, RuleSet
from domain.events import CommandChanged, Event, SampleRecorded

logger = logging.getLogger("edge_device_service")


class OperationalLog:
    """``rules`` gives the alert rules in force, so "temperature critical" fires where the critical
    temperature alert does (admins' overrides included), not at a limit of its own."""

    def __init__(self, rules: Callable[[], Awaitable[RuleSet]]) -> None:
        self._rules = rules

    async def on_event(self, event: Event) -> None:
        if isinstance(event, CommandChanged):
            if event.command == "status" and event.status == "queued":
                logger.info("Device %s status check initiated", event.device_id)
            elif event.status in ("failed", "timed_out", "rejected"):
                logger.error(
                    "Failed to execute command on %s: %s", event.device_id, event.message or event.status
                )
        elif isinstance(event, SampleRecorded) and event.sample.temperature is not None:
            critical = (await self._rules()).threshold(event.platform, RuleName.TEMPERATURE).critical
            if critical is not None and event.sample.temperature > critical:
                logger.warning(
                    "Device %s temperature critical: %.1f°C", event.device_id, event.sample.temperature
                )
