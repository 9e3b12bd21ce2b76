"""Concurrent heartbeats are group-committed: one unit of work, each device judged on its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.event_bus import RecordingEventBus
from adapters.memory.inventory import InMemoryFleetQueries, InMemoryStore, InMemoryUnitOfWork
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceNotFound
from domain.events import DeviceStatusChanged, SampleRecorded
from domain.services.telemetry import TelemetryRecorder

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


class CountingUnitOfWork(InMemoryUnitOfWork):
    opened = 0

    async def __aenter__(self):
        CountingUnitOfWork.opened += 1
        return await super().__aenter__()


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    for n in range(4):
        store.devices[f"d{n}"] = Device(f"d{n}", f"d{n}", Platform.HISILICON, created_at=NOW, updated_at=NOW)
    store.devices["d3"].decommission(NOW)
    return store


async def test_concurrent_reports_share_one_unit_of_work_and_each_gets_its_own_status(store):
    CountingUnitOfWork.opened = 0
    events = RecordingEventBus()
    recorder = TelemetryRecorder(lambda: CountingUnitOfWork(store), InMemoryFleetQueries(store), events)
    reports = [
        recorder.record_batch("d0", [MetricSample("d0", NOW, cpu_usage=10.0)]),
        recorder.record_batch("d1", [MetricSample("d1", NOW, cpu_usage=99.0)]),  # over the limit
        recorder.record_batch("d2", [MetricSample("d2", NOW, temperature=40.0)]),
        recorder.record_batch("d3", [MetricSample("d3", NOW, cpu_usage=1.0)]),  # decommissioned
        recorder.record_batch("nobody", [MetricSample("nobody", NOW, cpu_usage=1.0)]),
    ]
    results = await asyncio.gather(*reports, return_exceptions=True)
    assert results[:3] == [DeviceStatus.ONLINE, DeviceStatus.DEGRADED, DeviceStatus.ONLINE]
    assert all(isinstance(r, DeviceNotFound) for r in results[3:])
    assert CountingUnitOfWork.opened <= 2  # the first report alone, then all the others together
    assert sorted(s.device_id for s in store.metrics) == ["d0", "d1", "d2"]
    assert store.devices["d1"].status is DeviceStatus.DEGRADED and store.devices["d1"].cpu_usage == 99.0
    changed = [(e.device_id, e.new) for e in events.events if isinstance(e, DeviceStatusChanged)]
    assert sorted(changed) == [("d0", "online"), ("d1", "degraded"), ("d2", "online")]
    assert sum(isinstance(e, SampleRecorded) for e in events.events) == 3


async def test_two_reports_of_one_device_in_a_batch_apply_in_order(store):
    events = RecordingEventBus()
    recorder = TelemetryRecorder(lambda: InMemoryUnitOfWork(store), InMemoryFleetQueries(store), events)
    later = NOW + timedelta(seconds=30)
    await asyncio.gather(
        recorder.record_batch("d0", [MetricSample("d0", NOW, cpu_usage=99.0)]),
        recorder.record_batch("d0", [MetricSample("d0", later, cpu_usage=5.0)]),
        recorder.record_batch("d0", [MetricSample("d0", NOW - timedelta(minutes=5), cpu_usage=99.0)]),
    )
    device = store.devices["d0"]
    assert (device.last_heartbeat, device.cpu_usage, device.status) == (later, 5.0, DeviceStatus.ONLINE)
    transitions = [(e.old, e.new) for e in events.events if isinstance(e, DeviceStatusChanged)]
    assert transitions == [("unknown", "degraded"), ("degraded", "online")]  # the late sample changes nothing
    assert len(store.metrics) == 3
