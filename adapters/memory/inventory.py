"""In-memory device and metrics repositories plus a unit of work with real commit/rollback semantics."""
from __future__ import annotations

import copy

from domain.devices import Device, DeviceRecord, MetricSample
from domain.pagination import Page, PageRequest
from ports.repositories import DeviceFilter, TimeWindow


class InMemoryStore:
    """Committed state shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.metrics: list[MetricSample] = []


class InMemoryDeviceRepository:
    def __init__(self, devices: dict[str, Device]) -> None:
        self._devices = devices

    async def add(self, device: Device) -> None:
        self._devices[device.id] = device

    async def get(self, device_id: str) -> Device | None:
        return self._devices.get(device_id)


class InMemoryFleetQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        matching = sorted((d for d in self._store.devices.values() if _matches(d, filters)), key=lambda d: d.id)
        window = matching[page.offset : page.offset + page.limit]
        return Page(items=window, total=len(matching), limit=page.limit, offset=page.offset)

    def invalidate(self) -> None:
        return None


def _matches(device: Device, filters: DeviceFilter) -> bool:
    return (
        (filters.include_decommissioned or not device.decommissioned)
        and (filters.platform is None or device.platform == filters.platform)
        and (filters.status is None or device.status == filters.status)
        and (filters.location is None or device.location == filters.location)
    )


class InMemoryMetricsRepository:
    def __init__(self, samples: list[MetricSample]) -> None:
        self._samples = samples

    async def add(self, sample: MetricSample) -> None:
        sample.id = len(self._samples) + 1
        self._samples.append(sample)

    async def history(self, device_id: str, window: TimeWindow, page: PageRequest) -> list[MetricSample]:
        found = [
            s
            for s in self._samples
            if s.device_id == device_id
            and (window.start is None or s.timestamp >= window.start)
            and (window.end is None or s.timestamp <= window.end)
        ]
        found.sort(key=lambda s: (s.timestamp, s.id), reverse=True)
        return found[page.offset : page.offset + page.limit]


class InMemoryUnitOfWork:
    """Works on a deep copy of the store; ``commit`` publishes it, anything else discards it."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.committed = False

    async def __aenter__(self) -> "InMemoryUnitOfWork":
        self._devices = copy.deepcopy(self._store.devices)
        self._metrics = list(self._store.metrics)
        self.devices = InMemoryDeviceRepository(self._devices)
        self.metrics = InMemoryMetricsRepository(self._metrics)
        return self

    async def __aexit__(self, *exc_info) -> None:
        return None

    async def commit(self) -> None:
        self._store.devices = self._devices
        self._store.metrics = self._metrics
        self.committed = True

    async def rollback(self) -> None:
        await self.__aenter__()
