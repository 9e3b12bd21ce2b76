"""Device uptime: the share of a window a device was reachable, from the spans it was online.

"Online" is reachability, as the spec's uptime means: a degraded device is online (it answers, it is
only hot or busy); a device is offline from the moment the sweep marks it (3 missed heartbeats).
A device is measured from its registration; one never seen has no figure (None), not 0 %, so devices
registered ahead of their installation do not drag the fleet down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.devices import DeviceRecord, DeviceStatus

REACHABLE = frozenset({DeviceStatus.ONLINE, DeviceStatus.DEGRADED})
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
LONGEST_WINDOW = max(WINDOWS.values())


def reachable(status: str | DeviceStatus) -> bool:
    return status in REACHABLE


@dataclass(frozen=True)
class OnlineSpan:
    started_at: datetime
    ended_at: datetime | None = None  # None: still online


@dataclass(frozen=True)
class Uptime:
    """Percentages (0-100, two decimals) per window name ("24h", "7d"); None where nothing is known."""

    percent: dict[str, float | None]

    @classmethod
    def unknown(cls) -> Uptime:
        return cls(dict.fromkeys(WINDOWS))


def online_percent(spans: Iterable[OnlineSpan], start: datetime, now: datetime) -> float | None:
    """Share of [start, now] covered by the spans (overlaps counted once), in percent."""
    total = (now - start).total_seconds()
    if total <= 0:
        return None
    clipped = sorted((max(s.started_at, start), min(s.ended_at or now, now)) for s in spans)
    online, reached = 0.0, start
    for begin, end in clipped:
        begin = max(begin, reached)
        if end > begin:
            online += (end - begin).total_seconds()
            reached = end
    return round(100.0 * online / total, 2)


def device_uptime(spans: list[OnlineSpan], registered_at: datetime | None, now: datetime) -> Uptime:
    """A seen device's percentages per window, measured from its registration when that is later."""
    percent = {}
    for name, length in WINDOWS.items():
        start = now - length if registered_at is None else max(now - length, registered_at)
        percent[name] = online_percent(spans, start, now)
    return Uptime(percent)


def uptime_of(device: DeviceRecord, spans: list[OnlineSpan], now: datetime) -> Uptime:
    """A device's figures from its spans; a device never seen has none (null, not 0 %)."""
    if device.last_heartbeat is None:
        return Uptime.unknown()
    return device_uptime(spans, device.created_at, now)


def fleet_uptime(devices: Iterable[tuple[datetime | None, list[OnlineSpan]]], now: datetime) -> Uptime:
    """The mean over seen devices of their percentages; None per window where no device has one."""
    sums, counts = dict.fromkeys(WINDOWS, 0.0), dict.fromkeys(WINDOWS, 0)
    for registered_at, spans in devices:
        for name, value in device_uptime(spans, registered_at, now).percent.items():
            if value is not None:
                sums[name] += value
                counts[name] += 1
    return Uptime({name: round(sums[name] / counts[name], 2) if counts[name] else None for name in WINDOWS})
