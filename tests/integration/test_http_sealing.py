"""Sealing through the whole app: an enrolled simulated device, the API contract's seal request, the agent's
view of its seals, and the key recovered on the device (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from adapters.tpm.simulated import SimulatedTpm
from adapters.tpm.unseal_simulated import import_and_unseal
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


async def enrolment_token(client, device_id: str) -> str:
    response = await client.post("/api/v1/edge/enrollment-tokens", json={"device_id": device_id})
    return response.json()["token"]


async def enrolled(client, device_id: str) -> DeviceDouble:
    token = await enrolment_token(client, device_id)
    device = DeviceDouble(client, device_id, SimulatedTpm(seed=device_id))
    assert (await device.enrol(token)).status_code == 201
    return device


async def test_a_key_sealed_over_http_is_recovered_by_the_device_and_listed_as_active(client):
    device = await enrolled(client, "edge-001")
    assert (await client.get("/api/v1/edge/devices/edge-001")).json()["security"]["seal_status"] == "none"
    values = ["0x" + v.hex() for v in device.tpm.pcr_read([0, 1, 7]).values()]
    response = await client.post(
        "/api/v1/edge/security/seal",
        json={
            "device_id": "edge-001",
            "key_id": "master_key_001",
            "policy": "pcr_0,pcr_1,pcr_7",
            "pcr_values": values,
        },
    )
    assert response.status_code == 200, response.text
    sealed = bytes.fromhex(response.json()["sealed_data"][2:])
    assert len(import_and_unseal(device.tpm, sealed)) == 32
    listed = (await client.get("/api/v1/edge/devices/edge-001/seals")).json()
    assert [s["status"] for s in listed["seals"]] == ["active"]
    detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert detail["security"]["seal_status"] == "active"
    patched = await client.patch("/api/v1/edge/devices/edge-001", json={"location": "hall 2"})
    assert patched.json()["security"]["seal_status"] == "active"
    agent_view = await client.get("/api/v1/agent/devices/edge-001/seals", headers=device.auth)
    assert agent_view.status_code == 200
    assert agent_view.json()["seals"][0]["sealed_data"] == response.json()["sealed_data"]


async def test_a_device_registered_without_tpm_gets_503(client):
    device = DeviceDouble(client, "edge-002")
    assert (await device.enrol(await enrolment_token(client, "edge-002"))).status_code == 201
    response = await client.post(
        "/api/v1/edge/security/seal",
        json={"device_id": "edge-002", "key_id": "k", "policy": "pcr_7", "pcr_values": ["0x" + "00" * 32]},
    )
    assert response.status_code == 503 and response.json()["code"] == "TEE_NOT_AVAILABLE"
