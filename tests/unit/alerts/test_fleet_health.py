"""The health summary: healthy, degraded, critical by the documented rule, and unavailable without a database."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.alerts import InMemoryAlertUnitOfWork
from domain.access import Principal, Role
from domain.devices import DeviceStatus
from domain.events import CommandChanged, DeviceStatusChanged
from domain.services.alerts import AlertService
from tests.unit.alerts.conftest import reading

ONLINE, OFFLINE, DEGRADED, UNKNOWN = (
    DeviceStatus.ONLINE,
    DeviceStatus.OFFLINE,
    DeviceStatus.DEGRADED,
    DeviceStatus.UNKNOWN,
)


def fleet(store, *statuses):
    store.device_statuses.update({f"edge-{i}": status for i, status in enumerate(statuses)})


async def test_an_all_online_fleet_without_alerts_is_healthy(service, store, clock):
    fleet(store, ONLINE, ONLINE, UNKNOWN)
    health = await service.health()
    assert (health.overall_status, health.devices_online, health.devices_offline, health.alerts) == (
        "healthy",
        2,
        0,
        [],
    )
    assert health.timestamp == clock.now()


@pytest.mark.parametrize(
    "statuses,expected",
    [
        ((ONLINE, ONLINE, ONLINE, ONLINE, OFFLINE), "degraded"),  # 20 % offline
        ((ONLINE, ONLINE, ONLINE, OFFLINE), "critical"),  # 25 % offline
        ((ONLINE, DEGRADED), "degraded"),
        ((OFFLINE, UNKNOWN, UNKNOWN, UNKNOWN), "critical"),  # never-seen devices are not monitored
        ((), "healthy"),
    ],
)
async def test_offline_and_degraded_devices_set_the_status(service, store, statuses, expected):
    fleet(store, *statuses)
    assert (await service.health()).overall_status == expected


async def test_open_alerts_set_the_status_and_info_alerts_do_not(service, store, clock):
    fleet(store, ONLINE)
    await service.replace_rules(
        Principal("root", Role.ADMIN), {"events": {"command_failed": {"severity": "info"}}}
    )
    await service.on_event(CommandChanged("edge-0", clock.now(), 1, "reboot", "failed"))
    assert (await service.health()).overall_status == "healthy"
    await service.on_event(reading(clock, "edge-0", temperature=90.0))
    assert (await service.health()).overall_status == "degraded"
    await service.on_event(reading(clock, "edge-0", temperature=99.0))
    health = await service.health()
    assert health.overall_status == "critical" and [a.rule for a in health.alerts] == ["temperature_high"]


async def test_health_lists_the_twenty_newest_serious_alerts(service, store, clock):
    for i in range(25):
        await service.on_event(DeviceStatusChanged(f"edge-{i}", clock.now(), "online", "offline"))
        clock.advance(seconds=1)
    health = await service.health()
    assert [a.device_id for a in health.alerts] == [f"edge-{i}" for i in range(24, 4, -1)]


async def test_an_unreachable_database_makes_health_unavailable_not_an_error(service, store):
    store.reachable = False
    health = await service.health()
    assert (health.overall_status, health.devices_online, health.alerts) == ("unavailable", None, [])
    assert "unreachable" in health.error


async def test_a_hanging_database_makes_health_unavailable_after_the_timeout(store, clock):
    class Hanging(InMemoryAlertUnitOfWork):
        async def __aenter__(self):
            await asyncio.Event().wait()  # never answers

    service = AlertService(lambda: Hanging(store), clock, health_timeout_seconds=0.05)
    health = await service.health()
    assert health.overall_status == "unavailable" and "did not answer" in health.error
