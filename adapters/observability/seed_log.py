"""The operational log lines the seed asks for, written from domain events on logger ``edge_device_service``."""
from __future__ import annotations

import logging

from domain.devices import DEGRADED_LIMITS, Platform
from domain.events import CommandChanged, Event, SampleRecorded

logger = logging.getLogger("edge_device_service")
# Critical is 10 °C above the platform's degraded threshold.
CRITICAL_MARGIN = 10.0


async def log_event(event: Event) -> None:
    if isinstance(event, CommandChanged):
        if event.command == "status" and event.status == "queued":
            logger.info("Device %s status check initiated", event.device_id)
        elif event.status in ("failed", "timed_out", "rejected"):
            logger.error("Failed to execute command on %s: %s (%s)", event.device_id,
                         event.message or event.status, event.command)
    elif isinstance(event, SampleRecorded) and event.sample.temperature is not None:
        limit = DEGRADED_LIMITS[Platform(event.platform)]["temperature"] + CRITICAL_MARGIN
        if event.sample.temperature >= limit:
            logger.warning("Device %s temperature critical: %.1f°C", event.device_id, event.sample.temperature)
