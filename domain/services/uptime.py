"""Uptime use cases: keep the online spans as status changes happen, answer percentages from them.

Spans follow DeviceStatusChanged events (heartbeats bring devices online, the offline sweep takes
them offline), so the heartbeat path stays as it is. The fleet figure reads every seen device's
recent spans: a periodic job computes it, and readers get the latest computed value.
"""

from __future__ import annotations

from domain.devices import Device
from domain.events import DeviceStatusChanged, Event
from domain.uptime import LONGEST_WINDOW, Uptime, fleet_uptime, reachable, uptime_of
from ports.clock import Clock
from ports.uptime import UptimeLedger


class UptimeService:
    def __init__(self, ledger: UptimeLedger, clock: Clock) -> None:
        self._ledger, self._clock = ledger, clock
        self._fleet: Uptime | None = None

    async def on_event(self, event: Event) -> None:
        if not isinstance(event, DeviceStatusChanged) or reachable(event.old) == reachable(event.new):
            return
        # The server's clock, not the sample's: a device's clock may be off, a replayed buffer old.
        now = self._clock.now()
        if reachable(event.new):
            await self._ledger.went_online(event.device_id, now)
        else:
            await self._ledger.went_offline(event.device_id, now)

    async def of_device(self, device: Device) -> Uptime:
        now = self._clock.now()
        if device.last_heartbeat is None:
            return Uptime.unknown()  # no spans to read
        return uptime_of(device, await self._ledger.spans(device.id, now - LONGEST_WINDOW), now)

    async def refresh_fleet(self) -> Uptime:
        now = self._clock.now()
        self._fleet = fleet_uptime(await self._ledger.fleet_spans(now - LONGEST_WINDOW), now)
        return self._fleet

    async def fleet(self) -> Uptime:
        """The latest fleet figure computed by the periodic job (computed now on first use)."""
        return self._fleet if self._fleet is not None else await self.refresh_fleet()

    def latest_fleet(self) -> Uptime | None:
        """Without I/O, for gauges: None until the first computation."""
        return self._fleet
