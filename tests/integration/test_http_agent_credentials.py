"""Device credentials are remembered for a short while after a database check, and revoking them in
this process (re-enrolment, decommissioning) takes effect on the very next request."""

from __future__ import annotations

import pytest

from adapters.persistence.repositories import SqlCredentialRepository
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        yield c


async def enrolled(client, container, device_id: str, bound: bool = False) -> DeviceDouble:
    admin = auth_header(container, "admin")
    body = {"expires_in": 600, "device_id": device_id} if bound else {"expires_in": 600}
    token = (await client.post("/api/v1/edge/enrollment-tokens", json=body, headers=admin)).json()["token"]
    device = DeviceDouble(client, device_id)
    assert (await device.enrol(token)).status_code == 201
    return device


async def test_a_verified_credential_is_not_read_from_the_database_again(client, container, monkeypatch):
    device = await enrolled(client, container, "edge-cred-1")
    reads = []
    original = SqlCredentialRepository.in_service

    async def counted(self, device_id):
        reads.append(device_id)
        return await original(self, device_id)

    monkeypatch.setattr(SqlCredentialRepository, "in_service", counted)
    for _ in range(3):
        assert (await device.heartbeat(cpu_usage=10.0)).status_code == 200
    assert reads == ["edge-cred-1"]  # the first heartbeat's check serves the next two


async def test_decommissioning_revokes_the_remembered_credential_at_once(client, container):
    device = await enrolled(client, container, "edge-cred-2")
    assert (await device.heartbeat(cpu_usage=10.0)).status_code == 200
    deleted = await client.delete("/api/v1/edge/devices/edge-cred-2", headers=auth_header(container, "admin"))
    assert deleted.status_code in (200, 204)
    refused = await device.heartbeat(cpu_usage=10.0)
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED", refused.text


async def test_re_enrolment_revokes_the_remembered_old_credential_at_once(client, container):
    device = await enrolled(client, container, "edge-cred-3")
    assert (await device.heartbeat(cpu_usage=10.0)).status_code == 200
    old = device.credential
    again = await enrolled(client, container, "edge-cred-3", bound=True)
    assert again.credential != old
    assert (await again.heartbeat(cpu_usage=11.0)).status_code == 200
    device.credential = old
    refused = await device.heartbeat(cpu_usage=12.0)
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"


async def test_a_wrong_secret_for_a_remembered_device_is_still_refused(client, container):
    device = await enrolled(client, container, "edge-cred-4")
    assert (await device.heartbeat(cpu_usage=10.0)).status_code == 200
    device.credential = device.credential[:-4] + (
        "AAAA" if not device.credential.endswith("AAAA") else "BBBB"
    )
    refused = await device.heartbeat(cpu_usage=10.0)
    assert refused.status_code == 401
