"""Device uptime over SQL: spans follow status changes, percentages reach the detail, /metrics and Prometheus."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.clock import FakeClock
from adapters.persistence.uptime import SqlUptimeLedger
from domain.devices import Device, Platform
from domain.events import DeviceStatusChanged
from domain.services.uptime import UptimeService
from entrypoints.jobs import server_jobs
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client


async def add_device(
    container, device_id: str, created_at, seen: bool = True, retired: bool = False
) -> Device:
    device = Device(
        id=device_id,
        name=device_id,
        platform=Platform.ATLAS,
        created_at=created_at,
        updated_at=created_at,
        last_heartbeat=created_at if seen else None,
        decommissioned_at=created_at if retired else None,
    )
    async with container.gateways.unit_of_work() as uow:
        await uow.devices.add(device)
        await uow.commit()
    return device


async def test_spans_in_sql_give_each_device_and_the_fleet_their_share(container):
    clock = FakeClock()
    start = clock.now()
    service = UptimeService(SqlUptimeLedger(container.gateways.engine()), clock)
    month_ago = start - timedelta(days=30)
    steady = await add_device(container, "steady", month_ago)
    flaky = await add_device(container, "flaky", month_ago)
    await add_device(container, "unseen", month_ago, seen=False)  # no figure, not in the fleet mean
    await add_device(container, "retired", month_ago, retired=True)  # left the fleet
    for device_id in ("steady", "flaky", "retired"):
        await service.on_event(DeviceStatusChanged(device_id, start, "unknown", "online"))
        await service.on_event(DeviceStatusChanged(device_id, start, "unknown", "online"))  # twice: one span
    clock.advance(hours=6)
    await service.on_event(DeviceStatusChanged("flaky", clock.now(), "degraded", "offline"))
    clock.advance(hours=18)
    assert (await service.of_device(steady)).percent["24h"] == 100.0
    assert (await service.of_device(flaky)).percent == {"24h": 25.0, "7d": round(100 * 6 / 168, 2)}
    assert (await service.refresh_fleet()).percent["24h"] == 62.5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_heartbeating_device_shows_its_uptime_in_the_detail_metrics_and_prometheus(container):
    async with api_client(container) as client:
        client.headers.update(auth_header(container, "admin"))
        token = (await client.post("/api/v1/edge/enrollment-tokens", json={})).json()["token"]
        device = DeviceDouble(client, "edge-001")
        await device.enrol(token)
        before = (await client.get("/api/v1/edge/devices/edge-001")).json()["metrics"]
        assert (before["uptime_percent_24h"], before["uptime_percent_7d"]) == (None, None)  # never seen
        assert (await device.heartbeat(cpu_usage=10.0)).status_code == 200
        detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
        [job] = [job for job in server_jobs(container) if job.name == "fleet-uptime"]
        await job.run()
        fleet = (await client.get("/api/v1/edge/metrics")).json()
        scrape = (await client.get("/metrics")).text
    assert {"cpu_usage", "memory_usage", "temperature"} <= set(detail["metrics"])
    assert (
        0 < detail["metrics"]["uptime_percent_24h"] <= 100
        and 0 < detail["metrics"]["uptime_percent_7d"] <= 100
    )
    assert 0 < fleet["uptime_percent_24h"] <= 100 and {"total_devices", "device_binding"} <= set(fleet)
    assert 'edgefleet_fleet_uptime_percent{window="24h"}' in scrape
