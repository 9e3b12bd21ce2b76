"""Device inventory use cases against in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.clock import FakeClock
from adapters.memory.inventory import InMemoryFleetQueries, InMemoryStore, InMemoryUnitOfWork
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceAlreadyExists, DeviceNotFound, ValidationFailed
from domain.pagination import PageRequest
from domain.services.devices import DeviceInventory, Viewer
from domain.services.telemetry import TelemetryRecorder
from ports.repositories import DeviceFilter, TimeWindow


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def inventory(store, clock) -> DeviceInventory:
    return DeviceInventory(lambda: InMemoryUnitOfWork(store), InMemoryFleetQueries(store), clock)


def atlas(device_id: str = "edge-001", **kw) -> Device:
    return Device(id=device_id, name=f"name-{device_id}", platform=Platform.ATLAS, **kw)


async def test_registering_a_device_stamps_creation_time(inventory, clock):
    device = await inventory.register(atlas())
    assert device.created_at == device.updated_at == clock.now()
    assert (await inventory.get("edge-001")).name == "name-edge-001"


async def test_registering_the_same_id_twice_is_refused(inventory):
    await inventory.register(atlas())
    with pytest.raises(DeviceAlreadyExists):
        await inventory.register(atlas())


async def test_a_device_id_with_spaces_is_rejected():
    with pytest.raises(ValidationFailed):
        atlas("bad id")


async def test_update_changes_only_the_given_fields(inventory, clock):
    await inventory.register(atlas(location="A"))
    clock.advance(minutes=5)
    device = await inventory.update("edge-001", {"name": "renamed"})
    assert (device.name, device.location, device.updated_at) == ("renamed", "A", clock.now())


async def test_update_refuses_fields_that_are_not_mutable(inventory):
    await inventory.register(atlas())
    with pytest.raises(ValidationFailed):
        await inventory.update("edge-001", {"status": "online"})


async def test_a_failed_update_leaves_the_stored_device_untouched(inventory):
    await inventory.register(atlas(location="A"))
    with pytest.raises(ValidationFailed):
        await inventory.update("edge-001", {"location": "B", "platform": "hisilicon"})
    assert (await inventory.get("edge-001")).location == "A"


async def test_decommissioned_devices_leave_the_listing_but_auditors_keep_their_history(
    inventory, store, clock
):
    await inventory.register(atlas())
    await TelemetryRecorder(lambda: InMemoryUnitOfWork(store), InMemoryFleetQueries(store)).record(
        MetricSample(device_id="edge-001", timestamp=clock.now(), cpu_usage=10.0)
    )
    await inventory.decommission("edge-001")
    page = await inventory.list(DeviceFilter(), PageRequest(20))
    assert page.total == 0
    with pytest.raises(DeviceNotFound):
        await inventory.get("edge-001")
    history = await inventory.history(
        "edge-001", TimeWindow(), PageRequest(10), Viewer(sees_decommissioned=True)
    )
    assert [s.cpu_usage for s in history] == [10.0]


async def test_history_is_newest_first_and_respects_the_window(inventory, store, clock):
    await inventory.register(atlas())
    recorder = TelemetryRecorder(lambda: InMemoryUnitOfWork(store), InMemoryFleetQueries(store))
    start = clock.now()
    for minute in range(5):
        await recorder.record(
            MetricSample("edge-001", start + timedelta(minutes=minute), cpu_usage=float(minute))
        )
    window = TimeWindow(start + timedelta(minutes=1), start + timedelta(minutes=3))
    history = await inventory.history("edge-001", window, PageRequest(10))
    assert [s.cpu_usage for s in history] == [3.0, 2.0, 1.0]


async def test_history_rejects_a_start_after_the_end(inventory, clock):
    await inventory.register(atlas())
    with pytest.raises(ValidationFailed):
        await inventory.history(
            "edge-001", TimeWindow(clock.now(), clock.now() - timedelta(1)), PageRequest(10)
        )


async def test_telemetry_updates_the_fleet_view_of_the_device(inventory, store, clock):
    await inventory.register(atlas())
    sample = MetricSample(
        "edge-001", clock.now(), cpu_usage=45.0, memory_usage=62.0, temperature=52.0, uptime_seconds=328
    )
    await TelemetryRecorder(lambda: InMemoryUnitOfWork(store), InMemoryFleetQueries(store)).record(sample)
    device = await inventory.get("edge-001")
    assert (device.cpu_usage, device.memory_usage, device.temperature, device.uptime_seconds) == (
        45.0,
        62.0,
        52.0,
        328,
    )
    assert device.status is DeviceStatus.ONLINE and device.last_heartbeat == clock.now()


@pytest.mark.parametrize(
    "field,value",
    [("cpu_usage", 101.0), ("memory_usage", -1.0), ("temperature", -300.0), ("uptime_seconds", -5)],
)
def test_impossible_metric_values_are_rejected(field, value, clock):
    with pytest.raises(ValidationFailed):
        MetricSample("edge-001", clock.now(), **{field: value})
