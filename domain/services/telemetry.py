"""Telemetry use cases: a device reports a sample; the fleet view follows."""
from __future__ import annotations

from collections.abc import Callable

from domain.devices import DeviceStatus, MetricSample
from domain.errors import DeviceNotFound
from ports.unit_of_work import UnitOfWork


class TelemetryRecorder:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def record(self, sample: MetricSample, status: DeviceStatus = DeviceStatus.ONLINE) -> None:
        """Store the sample and copy it onto the device row, in one transaction."""
        async with self._uow() as uow:
            device = await uow.devices.get(sample.device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(sample.device_id)
            sample.status = status
            await uow.metrics.add(sample)
            device.record_telemetry(sample)
            device.status = status
            await uow.commit()
