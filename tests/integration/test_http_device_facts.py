"""Device facts follow the device: a heartbeat's changed facts update the inventory and are audited."""

from __future__ import annotations

import pytest

from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client

FACTS = {
    "model": "Atlas 500 Pro",
    "cores": 8,
    "memory_gb": 16,
    "firmware_version": "2.2.0",
    "tee_enabled": True,
    "tee_type": "iTrustee",
    "capabilities": {"npu_ids": [0, 1], "driver_version": "23.0.3", "chip_count": 2},
}


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


@pytest.fixture
async def device(client) -> DeviceDouble:
    token = (await client.post("/api/v1/edge/enrollment-tokens", json={})).json()["token"]
    double = DeviceDouble(client, "edge-001")
    assert (await double.enrol(token)).status_code == 201
    return double


async def beat(client, device, facts=None, at="2026-11-29T00:00:00Z"):
    body = {"samples": [{"timestamp": at, "cpu_usage": 10.0}]} | (
        {"facts": facts} if facts is not None else {}
    )
    return await client.post(device.base("/heartbeat"), json=body, headers=device.auth)


async def facts_audit(client) -> list[dict]:
    response = await client.get("/api/v1/edge/audit", params={"action": "agentReportFacts"})
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def test_changed_facts_update_the_inventory_and_the_detail_shows_them(client, device):
    assert (await beat(client, device, FACTS)).status_code == 200
    detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert detail["firmware_version"] == "2.2.0"
    assert detail["hardware"] == {
        "cores": 8,
        "memory_gb": 16,
        "model": "Atlas 500 Pro",
        "capabilities": {"npu_ids": [0, 1], "driver_version": "23.0.3", "chip_count": 2},
    }
    assert detail["security"]["tee_type"] == "iTrustee" and detail["security"]["tee_enabled"] is True
    listed = (await client.get("/api/v1/edge/devices")).json()["devices"][0]
    assert (listed["firmware_version"], listed["model"]) == (
        "2.2.0",
        "Atlas 500 Pro",
    )  # no stale cached listing


async def test_each_change_is_audited_with_old_and_new_values_once(client, device):
    await beat(client, device, FACTS)
    await beat(client, device, FACTS, at="2026-11-29T00:00:30Z")  # unchanged: no second record
    [entry] = await facts_audit(client)
    assert (entry["actor"], entry["role"], entry["device_id"]) == ("edge-001", "device", "edge-001")
    changes = entry["parameters"]["changes"]
    assert changes["firmware_version"] == {"old": "2.1.0", "new": "2.2.0"}
    assert changes["model"] == {"old": "Atlas 500", "new": "Atlas 500 Pro"}
    assert changes["capabilities"]["old"] is None and "tee_enabled" not in changes  # it was already true


async def test_unknown_facts_keep_the_stored_values(client, device):
    assert (await beat(client, device, {"firmware_version": "3.0.0", "model": None})).status_code == 200
    detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert (detail["firmware_version"], detail["hardware"]["model"]) == ("3.0.0", "Atlas 500")


@pytest.mark.parametrize(
    "facts",
    [
        {"cores": 0},
        {"memory_gb": 10**9},
        {"firmware_version": ""},
        {"model": "x" * 256},
        {"tee_type": "a\x00b"},
        {"capabilities": {f"c{i}": i for i in range(33)}},
        {"capabilities": {"npu_ids": list(range(65))}},
        {"capabilities": {"nested": {"deep": 1}}},
        {"capabilities": {"bad name": 1}},
        {"capabilities": {"driver_version": "v" * 257}},
        {"platform": "atlas"},
    ],
)
async def test_out_of_bounds_facts_are_refused_and_nothing_is_stored(client, device, facts):
    response = await beat(client, device, facts)
    assert response.status_code == 400, response.text
    assert set(response.json()) >= {"error", "code", "status"}
    detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert detail["firmware_version"] == "2.1.0" and detail["last_seen"] is None
    assert await facts_audit(client) == []
