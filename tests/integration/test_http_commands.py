"""Commands over HTTP on both databases: contract shape, 200/202, idempotency, cancel, roles, bad input."""

from __future__ import annotations

import asyncio

import pytest

from domain.commands import CommandStatus
from tests.conftest import auth_header
from tests.integration.http_client import api_client

CONTRACT_RESULT_KEYS = {"success", "device_id", "command", "result", "timestamp"}


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        await c.post(
            "/api/v1/edge/devices",
            json={"id": "edge-001", "name": "a", "platform": "atlas"},
            headers=auth_header(container, "admin"),
        )
        c.headers.update(auth_header(container, "operator"))
        yield c


async def fake_device(container, outcome=CommandStatus.SUCCEEDED, message="Device rebooting..."):
    """Plays the agent: fetch work, report running, then the outcome."""
    commands = container.services.commands()
    [command] = await commands.next_for_device("edge-001", 5)
    await commands.report("edge-001", command.id, CommandStatus.RUNNING, None)
    await commands.report("edge-001", command.id, outcome, {"message": message})


async def test_a_command_answered_in_time_returns_the_seed_shape(client, container):
    device = asyncio.create_task(fake_device(container))
    response = await client.post(
        "/api/v1/edge/devices/edge-001/command",
        json={"command": "reboot", "parameters": {"timeout": 10, "force": False}},
    )
    await device
    body = response.json()
    assert response.status_code == 200 and CONTRACT_RESULT_KEYS <= set(body)
    assert (body["success"], body["command"], body["result"], body["status"]) == (
        True,
        "reboot",
        "Device rebooting...",
        "succeeded",
    )


async def test_a_failed_command_reports_success_false(client, container):
    device = asyncio.create_task(fake_device(container, CommandStatus.FAILED, "disk full"))
    body = (
        await client.post(
            "/api/v1/edge/devices/edge-001/command",
            json={"command": "diagnose", "parameters": {"timeout": 10}},
        )
    ).json()
    await device
    assert (body["success"], body["status"], body["result"]) == (False, "failed", "disk full")


async def test_an_unanswered_command_returns_202_and_can_be_followed_and_canceled(client):
    response = await client.post(
        "/api/v1/edge/devices/edge-001/command", json={"command": "status", "parameters": {"timeout": 1}}
    )
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] == "queued"
    followed = (await client.get(accepted["location"])).json()
    assert followed["id"] == accepted["command_id"] and followed["parameters"]["timeout"] == 1
    canceled = await client.post(accepted["location"] + "/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    again = await client.post(accepted["location"] + "/cancel")
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"


async def test_the_same_idempotency_key_never_queues_twice(client):
    headers = {"Idempotency-Key": "retry-me"}
    body = {"command": "status", "parameters": {"timeout": 1}}
    first = (await client.post("/api/v1/edge/devices/edge-001/command", json=body, headers=headers)).json()
    second = (await client.post("/api/v1/edge/devices/edge-001/command", json=body, headers=headers)).json()
    assert first["command_id"] == second["command_id"]
    listed = (await client.get("/api/v1/edge/devices/edge-001/commands")).json()
    assert listed["total"] == 1
    other = await client.post(
        "/api/v1/edge/devices/edge-001/command", json={"command": "reboot"}, headers=headers
    )
    assert other.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"command": "format"},
        {"command": "reboot", "parameters": {"timeout": 999}},
        {"command": "reboot", "parameters": {"sudo": True}},
        {"command": "update", "parameters": {}},
    ],
)
async def test_invalid_commands_are_400_invalid_command(client, container, body):
    response = await client.post(
        "/api/v1/edge/devices/edge-001/command", json=body, headers=auth_header(container, "admin")
    )
    assert response.status_code == 400 and response.json()["code"] == "INVALID_COMMAND"


@pytest.mark.parametrize(
    "role,command,status",
    [
        ("operator", "halt", 403),
        ("operator", "update", 403),
        ("viewer", "status", 403),
        ("auditor", "reboot", 403),
    ],
)
async def test_roles_limit_which_commands_run(client, container, role, command, status):
    body = {
        "command": command,
        "parameters": {"timeout": 1} | ({"version": "2"} if command == "update" else {}),
    }
    response = await client.post(
        "/api/v1/edge/devices/edge-001/command", json=body, headers=auth_header(container, role)
    )
    assert response.status_code == status and response.json()["code"] == "FORBIDDEN"


async def test_commands_for_unknown_devices_and_ids_are_404(client):
    missing = await client.post("/api/v1/edge/devices/ghost/command", json={"command": "status"})
    assert missing.json()["code"] == "DEVICE_NOT_FOUND"
    assert (await client.get("/api/v1/edge/devices/edge-001/commands/999")).json()[
        "code"
    ] == "COMMAND_NOT_FOUND"


async def test_two_workers_claiming_at_once_deliver_each_command_once(container):
    commands = container.services.commands()
    from domain.access import Principal, Role
    from domain.devices import Device, Platform

    await container.services.inventory().register(Device(id="edge-002", name="b", platform=Platform.ATLAS))
    for _ in range(6):
        await commands.submit(Principal("ops", Role.OPERATOR), "edge-002", "status", {})
    results = await asyncio.gather(
        *(commands.next_for_device("edge-002", 0.2) for _ in range(4)), return_exceptions=True
    )
    delivered = [c.id for r in results if isinstance(r, list) for c in r]
    assert len(delivered) == len(set(delivered)) == 6
