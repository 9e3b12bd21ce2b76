"""Fleet health (GET /api/v1/edge/health): device counts and open alerts summed up in one word.

overall_status, first match wins:
- "unavailable": the database could not be asked (the HTTP layer answers 503);
- "critical": any open critical alert, or at least 25 % of the monitored devices offline;
- "degraded": any open warning alert, any monitored device offline or degraded, or this API worker cut
  off from the other workers' signal channel (wake-ups and cache invalidations do not reach it);
- "healthy": otherwise.
Monitored devices are those online, degraded or offline: decommissioned devices and devices never heard
from ("unknown") are left out. Open means active or acknowledged: acknowledging says someone is on it,
not that the condition went away. Info alerts never change the status.
``devices_online`` counts every reachable device, degraded ones included (``devices_degraded`` says how
many of them are degraded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.alert_rules import Severity
from domain.alerts import Alert
from domain.devices import DeviceStatus

OFFLINE_CRITICAL_SHARE = 0.25
HEALTH_ALERTS = 20  # the newest open critical and warning alerts shown


@dataclass(frozen=True)
class FleetHealth:
    overall_status: str  # healthy | degraded | critical | unavailable
    timestamp: datetime
    devices_online: int | None = None
    devices_offline: int | None = None
    devices_degraded: int | None = None
    alerts: list[Alert] = field(default_factory=list)
    error: str | None = None
    channel: str = "connected"  # this worker's link to the others: connected | disconnected

    @property
    def available(self) -> bool:
        return self.overall_status != "unavailable"


def judge_health(
    devices: dict[DeviceStatus, int],
    open_alerts: dict[Severity, int],
    newest: list[Alert],
    now: datetime,
    channel_connected: bool = True,
) -> FleetHealth:
    online, degraded = devices.get(DeviceStatus.ONLINE, 0), devices.get(DeviceStatus.DEGRADED, 0)
    offline = devices.get(DeviceStatus.OFFLINE, 0)
    monitored = online + degraded + offline
    if open_alerts.get(Severity.CRITICAL, 0) or (monitored and offline >= OFFLINE_CRITICAL_SHARE * monitored):
        status = "critical"
    elif open_alerts.get(Severity.WARNING, 0) or offline or degraded or not channel_connected:
        status = "degraded"
    else:
        status = "healthy"
    return FleetHealth(
        status,
        now,
        online + degraded,
        offline,
        degraded,
        newest,
        channel="connected" if channel_connected else "disconnected",
    )


def unavailable(now: datetime, error: str) -> FleetHealth:
    return FleetHealth("unavailable", now, error=error)
