"""Device inventory use cases."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.agents import RecentCredentials
from domain.devices import Device, DeviceRecord
from domain.errors import DeviceAlreadyExists, DeviceNotFound, ValidationFailed
from domain.metrics_history import MetricPoint, Resolution, choose_resolution
from domain.pagination import Page, PageRequest
from domain.sealing.seal import device_seal_status
from domain.security import SecurityCounts
from domain.uptime import LONGEST_WINDOW, Uptime, uptime_of
from ports.clock import Clock
from ports.queries import FleetQueries
from ports.repositories import DeviceFilter, TimeWindow
from ports.sealing import SealRepository
from ports.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DeviceDetails:
    """A device as its detail shows it."""

    record: DeviceRecord
    seal_status: str  # "active", "revoked" or "none"
    uptime: Uptime


@dataclass(frozen=True)
class Viewer:
    """What the caller may see: decommissioned devices are visible to auditors and admins only."""

    sees_decommissioned: bool = False


class DeviceInventory:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        queries: FleetQueries,
        clock: Clock,
        raw_retention: timedelta = timedelta(days=7),
        recent_credentials: RecentCredentials | None = None,
        seals: SealRepository | None = None,
    ) -> None:
        self._seals = seals
        self._uow = uow
        self._recent = recent_credentials or RecentCredentials(ttl=timedelta(0))
        self._queries = queries
        self._clock = clock
        self._raw_retention = raw_retention

    async def list(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        return await self._queries.devices(filters, page)

    async def breakdown(self) -> builtins.list[tuple[str, str, str | None, int]]:
        """(platform, status, location, devices) groups of the fleet, decommissioned devices left out."""
        return await self._queries.device_breakdown()

    async def security_counts(self, attestation_max_age: timedelta) -> SecurityCounts:
        return await self._queries.security_counts(self._clock.now() - attestation_max_age)

    async def get(self, device_id: str, viewer: Viewer = Viewer()) -> Device:
        async with self._uow() as uow:
            return await self._visible(uow, device_id, viewer)

    async def details(self, device_id: str, viewer: Viewer = Viewer()) -> DeviceDetails:
        """The detail view: one read of the device, its seals and its online spans (no unit of work:
        nothing is changed, and the hot read path should cost one or two queries)."""
        now = self._clock.now()
        view = await self._queries.device_view(device_id, now - LONGEST_WINDOW)
        if view is None or (view.record.decommissioned and not viewer.sees_decommissioned):
            raise DeviceNotFound(device_id)
        uptime = uptime_of(view.record, view.spans, now)
        return DeviceDetails(view.record, device_seal_status(view.seal_statuses), uptime)

    async def seal_status(self, device_id: str) -> str:
        """ "active", "revoked" or "none": what the device's seals say (its detail's security.seal_status)."""
        return device_seal_status(await self._seals.seal_statuses(device_id) if self._seals else ())

    async def register(self, device: Device) -> Device:
        now = self._clock.now()
        device.created_at = device.updated_at = now
        async with self._uow() as uow:
            if await uow.devices.get(device.id) is not None:
                raise DeviceAlreadyExists(device.id)
            await uow.devices.add(device)
            await uow.commit()
        self._queries.invalidate()
        return device

    async def update(self, device_id: str, changes: dict[str, Any]) -> Device:
        async with self._uow() as uow:
            device = await self._visible(uow, device_id, Viewer())
            device.apply_changes(changes, self._clock.now())
            await uow.commit()
        self._queries.invalidate()
        return device

    async def decommission(self, device_id: str) -> None:
        """Retire a device: it leaves the fleet listing, its history stays for auditors."""
        async with self._uow() as uow:
            device = await self._visible(uow, device_id, Viewer())
            device.decommission(self._clock.now())
            await uow.commit()
        self._recent.forget(device_id)  # its credential stops working now, not when the cache expires
        self._queries.invalidate()

    def history_resolution(self, window: TimeWindow, requested: Resolution = Resolution.AUTO) -> Resolution:
        """What ``history`` answers with: "auto" resolved against the window, now and the raw retention."""
        return choose_resolution(requested, window.start, window.end, self._clock.now(), self._raw_retention)

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        viewer: Viewer = Viewer(),
        resolution: Resolution = Resolution.RAW,
    ) -> builtins.list[MetricPoint]:
        if window.start and window.end and window.start > window.end:
            raise ValidationFailed("start_time must not be after end_time")
        points = await self._queries.history(
            device_id, window, page, self.history_resolution(window, resolution), viewer.sees_decommissioned
        )
        if points is None:
            raise DeviceNotFound(device_id)
        return points

    @staticmethod
    async def _visible(uow: UnitOfWork, device_id: str, viewer: Viewer) -> Device:
        device = await uow.devices.get(device_id)
        if device is None or (device.decommissioned and not viewer.sees_decommissioned):
            raise DeviceNotFound(device_id)
        return device
