"""Repositories: collections of aggregates, queried and paged in the store, never in Python."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class DeviceFilter:
    platform: Platform | None = None
    status: DeviceStatus | None = None
    location: str | None = None
    include_decommissioned: bool = False


@dataclass(frozen=True)
class TimeWindow:
    start: datetime | None = None
    end: datetime | None = None


class DeviceRepository(Protocol):
    async def add(self, device: Device) -> None: ...

    async def get(self, device_id: str) -> Device | None:
        """The device, decommissioned or not."""
        ...


class MetricsRepository(Protocol):
    async def add(self, sample: MetricSample) -> None: ...

    async def history(self, device_id: str, window: TimeWindow, page: PageRequest) -> list[MetricSample]:
        """Samples inside the window (inclusive), newest first."""
        ...
