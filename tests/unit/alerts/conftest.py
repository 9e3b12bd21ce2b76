"""Alert use cases over in-memory fakes, a clock the tests move and a bus that records what was published."""

from __future__ import annotations

import pytest

from adapters.event_bus import RecordingEventBus
from adapters.memory.alerts import InMemoryAlertStore, InMemoryAlertUnitOfWork
from adapters.memory.clock import FakeClock
from domain.alerts import AlertChanged
from domain.devices import MetricSample
from domain.events import SampleRecorded
from domain.services.alerts import AlertService


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store():
    return InMemoryAlertStore()


@pytest.fixture
def bus():
    return RecordingEventBus()


@pytest.fixture
def service(store, clock, bus):
    return AlertService(lambda: InMemoryAlertUnitOfWork(store), clock, bus)


def reading(clock, device_id="edge-001", platform="atlas", **metrics) -> SampleRecorded:
    """A heartbeat's sample taken now on the fake clock."""
    sample = MetricSample(device_id=device_id, timestamp=clock.now(), **metrics)
    return SampleRecorded(device_id, sample.timestamp, sample, platform, "online")


async def open_alerts(service, device_id="edge-001"):
    return (await service.list(device_id=device_id)).items


def changes(bus) -> list[tuple[str, str, str]]:
    """(rule, change, severity) of every AlertChanged published so far."""
    return [
        (e.alert.rule.value, e.change, e.alert.severity.value)
        for e in bus.events
        if isinstance(e, AlertChanged)
    ]
