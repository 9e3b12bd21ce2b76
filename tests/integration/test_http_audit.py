"""The audit trail: every mutating call recorded with actor, outcome and redacted parameters; append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import auth_header
from tests.integration.http_client import api_client


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


async def entries(client, **params) -> list[dict]:
    response = await client.get("/api/v1/edge/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def test_mutations_are_recorded_with_actor_outcome_and_target(client):
    await client.post("/api/v1/edge/devices", json={"id": "edge-001", "name": "a", "platform": "atlas"})
    await client.post("/api/v1/edge/devices", json={"id": "edge-001", "name": "dup", "platform": "atlas"})
    await client.patch("/api/v1/edge/devices/edge-001", json={"location": "Lab"})
    await client.get("/api/v1/edge/devices")  # reads are not audited
    log = await entries(client)
    assert [(e["action"], e["outcome"]) for e in log] == [
        ("updateDevice", 200),
        ("registerDevice", 409),
        ("registerDevice", 201),
    ]
    assert {e["actor"] for e in log} == {"tester"} and {e["role"] for e in log} == {"admin"}
    assert log[0]["device_id"] == "edge-001" and log[0]["target"] == {"device_id": "edge-001"}
    assert log[0]["parameters"] == {"location": "Lab"} and log[0]["client_address"]


async def test_secrets_never_reach_the_audit_log(client):
    response = await client.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600})
    token = response.json()["token"]
    await client.post(
        "/api/v1/agent/enroll",
        json={"enrollment_token": token, "device": {"id": "edge-9", "name": "n", "platform": "atlas"}},
    )
    log = await entries(client)
    assert token not in str(log)
    enrol = next(e for e in log if e["action"] == "agentEnrol")
    assert enrol["parameters"]["enrollment_token"] == "***" and enrol["device_id"] == "edge-9"


async def test_filters_and_paging(client):
    for i in range(3):
        await client.post("/api/v1/edge/devices", json={"id": f"d{i}", "name": "a", "platform": "atlas"})
    await client.delete("/api/v1/edge/devices/d1")
    assert [e["action"] for e in await entries(client, device_id="d1")] == [
        "decommissionDevice",
        "registerDevice",
    ]
    assert len(await entries(client, action="registerDevice", limit=2)) == 2
    assert (await client.get("/api/v1/edge/audit", params={"actor": "tester"})).json()["total"] == 4


@pytest.mark.parametrize(
    "role,status", [("viewer", 403), ("operator", 403), ("auditor", 200), ("admin", 200)]
)
async def test_only_auditors_and_admins_read_the_trail(client, container, role, status):
    response = await client.get("/api/v1/edge/audit", headers=auth_header(container, role))
    assert response.status_code == status


async def test_the_table_refuses_updates_and_deletes(client, container):
    await client.post("/api/v1/edge/devices", json={"id": "edge-001", "name": "a", "platform": "atlas"})
    for statement in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):
            async with container.gateways.engine().begin() as connection:
                await connection.execute(text(statement))
    assert len(await entries(client)) == 1
