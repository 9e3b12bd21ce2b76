"""Telemetry use cases: a device reports samples; the fleet view follows.

Heartbeats from many devices arrive at once, so concurrent reports are group-committed: one unit of
work loads every device of the batch, stores all their samples in one multi-row insert and their
latest figures in one update, and commits once; each report is answered only after that commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.devices import Device, DeviceStatus, MetricSample
from domain.errors import DeviceNotFound, DomainError, ValidationFailed
from domain.events import DeviceStatusChanged, Event, SampleRecorded
from domain.group_commit import GroupCommit
from ports.events import EventBus
from ports.queries import FleetQueries
from ports.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Report:
    device_id: str
    samples: list[MetricSample]
    status: DeviceStatus | None  # forced (the demo's seeded history); None: derived from each sample


@dataclass
class _Outcome:
    status: DeviceStatus
    events: list[Event]  # SampleRecorded for a newest sample, then DeviceStatusChanged if it changed


class TelemetryRecorder:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        queries: FleetQueries,
        events: EventBus | None = None,
        max_batch: int = 256,
    ) -> None:
        self._uow = uow
        self._queries = queries
        self._events = events
        self._group: GroupCommit[Report, _Outcome] = GroupCommit(self._record_group, max_batch)

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
        outcome = await self._group.submit(Report(device_id, samples, status))
        # Fleet listings may show figures up to the cache TTL old, but never a stale status.
        if any(isinstance(event, DeviceStatusChanged) for event in outcome.events):
            self._queries.invalidate()
        if self._events is not None:
            for event in outcome.events:
                await self._events.publish(event)
        return outcome.status

    async def _record_group(self, reports: Sequence[Report]) -> list[_Outcome | DomainError]:
        async with self._uow() as uow:
            devices = await uow.devices.get_many(sorted({r.device_id for r in reports}))
            outcomes: list[_Outcome | DomainError] = []
            samples: list[MetricSample] = []
            touched: dict[str, Device] = {}
            for report in reports:
                device = devices.get(report.device_id)
                if device is None or device.decommissioned:
                    outcomes.append(DeviceNotFound(report.device_id))
                    continue
                outcomes.append(_apply(device, report))
                samples.extend(report.samples)
                touched[device.id] = device
            await uow.metrics.add_many(samples)
            await uow.devices.save_telemetry(list(touched.values()))
            await uow.commit()
        self._queries.invalidate_devices(list(touched))  # once per batch, not per report
        return outcomes


def _apply(device: Device, report: Report) -> _Outcome:
    """The device's rules over one report: each sample's status, and the newest onto the device."""
    for sample in report.samples:
        sample.status = report.status or device.status_after(sample)
    newest = max(report.samples, key=lambda s: s.timestamp, default=None)
    previous = device.status
    events: list[Event] = []
    if newest is not None and (device.last_heartbeat is None or newest.timestamp >= device.last_heartbeat):
        device.record_telemetry(newest)
        device.status = newest.status or previous
        events.append(
            SampleRecorded(device.id, newest.timestamp, newest, device.platform.value, device.status.value)
        )
        if device.status is not previous:
            events.append(
                DeviceStatusChanged(device.id, newest.timestamp, previous.value, device.status.value)
            )
    return _Outcome(device.status, events)
