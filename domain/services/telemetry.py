"""Telemetry use cases: a device reports a sample; the fleet view follows."""

from __future__ import annotations

from collections.abc import Callable

from domain.devices import DeviceStatus, MetricSample
from domain.errors import DeviceNotFound, ValidationFailed
from domain.events import DeviceStatusChanged, SampleRecorded
from ports.events import EventBus
from ports.queries import FleetQueries
from ports.unit_of_work import UnitOfWork


class TelemetryRecorder:
    def __init__(
        self, uow: Callable[[], UnitOfWork], queries: FleetQueries, events: EventBus | None = None
    ) -> None:
        self._uow = uow
        self._queries = queries
        self._events = events

    async def record(self, sample: MetricSample, status: DeviceStatus | None = None) -> None:
        """Store the sample and copy it onto the device row, in one transaction."""
        await self.record_batch(sample.device_id, [sample], status)

    async def record_batch(
        self, device_id: str, samples: list[MetricSample], status: DeviceStatus | None = None
    ) -> DeviceStatus:
        """Store samples of one device (e.g. replayed after an outage) atomically; the newest shows.
        Without an explicit ``status`` the device's rules derive it from the newest sample."""
        if any(s.device_id != device_id for s in samples):
            raise ValidationFailed("every sample must belong to the device that reports it")
        async with self._uow() as uow:
            device = await uow.devices.get(device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(device_id)
            for sample in samples:
                sample.status = status or device.status_after(sample)
                await uow.metrics.add(sample)
            newest = max(samples, key=lambda s: s.timestamp, default=None)
            previous, is_newest = device.status, False
            if newest is not None and (
                device.last_heartbeat is None or newest.timestamp >= device.last_heartbeat
            ):
                device.record_telemetry(newest)
                device.status, is_newest = newest.status, True
            current, platform = device.status, device.platform.value
            await uow.commit()
        # Fleet listings may show figures up to the cache TTL old, but never a stale status.
        if current is not previous:
            self._queries.invalidate()
        if self._events is not None and is_newest:
            await self._events.publish(
                SampleRecorded(device_id, newest.timestamp, newest, platform, current.value)
            )
            if current is not previous:
                await self._events.publish(
                    DeviceStatusChanged(device_id, newest.timestamp, previous.value, current.value)
                )
        return current
