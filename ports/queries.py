"""Read side: fleet views served straight from the store, without loading aggregates for change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.devices import DeviceRecord
from domain.metrics_history import MetricPoint, Resolution
from domain.pagination import Page, PageRequest
from domain.security import SecurityCounts
from domain.uptime import OnlineSpan
from ports.repositories import DeviceFilter, TimeWindow


@dataclass(frozen=True)
class DeviceView:
    """What a device's detail shows, read in one go: the record, its seals' statuses, its online spans."""

    record: DeviceRecord
    seal_statuses: frozenset[str]
    spans: list[OnlineSpan]


class FleetQueries(Protocol):
    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        """Devices matching ``filters`` ordered by id; ``total`` counts every match."""
        ...

    async def device_view(self, device_id: str, spans_since: datetime) -> DeviceView | None:
        """The device (decommissioned or not) with its seal statuses and the online spans that end
        after ``spans_since`` (none for a device never seen); None when there is no such device."""
        ...

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        resolution: Resolution,
        include_decommissioned: bool = False,
    ) -> list[MetricPoint] | None:
        """Newest first: raw samples inside the window (inclusive), or the rollup buckets overlapping it
        (``resolution`` is a concrete one, never AUTO); None when the device does not exist (or is
        decommissioned, unless ``include_decommissioned``)."""
        ...

    async def security_counts(self, fresh_since: datetime) -> SecurityCounts:
        """Counts behind the fleet security metrics; attestations older than ``fresh_since`` are stale."""
        ...

    async def operational_counts(self) -> dict[str, int]:
        """Devices per status (keys are status names) and ``queued_commands``, for monitoring."""
        ...

    async def device_breakdown(self) -> list[tuple[str, str, str | None, int]]:
        """(platform, status, location, devices) for every non-empty group of the fleet, from exact counts."""
        ...

    async def due_for_attestation(self, attested_before: datetime, limit: int) -> list[str]:
        """Reachable devices with an activated AK whose latest verdict is older than ``attested_before``."""
        ...

    def invalidate(self) -> None:
        """Forget cached views; called after a write that changes the inventory."""
        ...

    def invalidate_devices(self, device_ids: list[str]) -> None:
        """Forget what is cached of these devices (new figures, seals ...), on every worker."""
        ...
