"""Every numeric field of every request body, fed its extremes, on SQLite and PostgreSQL: the answer is
a 2xx or a 4xx with the error body, never a 500 from a column too small for the value; what is
accepted reads back unchanged."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.access import Principal, Role
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client

INT_EXTREMES = [
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**40,
]
FLOAT_EXTREMES = [0.0, -0.0, 5e-324, 2.5, 1e15, 1.7976931348623157e308, -1.7976931348623157e308]
EXTREMES = INT_EXTREMES + FLOAT_EXTREMES
ADMIN = Principal("numeric-test", Role.ADMIN)


class Fleet:
    """One enrolled device and a way to reach each body's numeric fields."""

    def __init__(self, client, container, device: DeviceDouble) -> None:
        self.client, self.container, self.device = client, container, device
        self.admin = auth_header(container, "admin")
        self.ids = itertools.count()

    async def register(self, field: str, value):
        device_id = f"reg-{next(self.ids)}"
        body = {"id": device_id, "name": device_id, "platform": "atlas", field: value}
        return await self.client.post("/api/v1/edge/devices", json=body, headers=self.admin), (
            "/api/v1/edge/devices/" + device_id,
            lambda d: d["hardware"][field],
        )

    async def update(self, field: str, value):
        path = f"/api/v1/edge/devices/{self.device.device_id}"
        return await self.client.patch(path, json={field: value}, headers=self.admin), (
            path,
            lambda d: d["hardware"][field],
        )

    async def enrol(self, field: str, value):
        token = (
            await self.client.post("/api/v1/edge/enrollment-tokens", json={}, headers=self.admin)
        ).json()["token"]
        device_id = f"enr-{next(self.ids)}"
        body = {
            "enrollment_token": token,
            "device": {"id": device_id, "name": device_id, "platform": "atlas", field: value},
        }
        return await self.client.post("/api/v1/agent/enroll", json=body), (
            "/api/v1/edge/devices/" + device_id,
            lambda d: d["hardware"][field],
        )

    async def sample(self, field: str, value):
        response = await self.device.heartbeat(**{field: value})
        if field != "uptime_seconds":
            return response, None
        return response, (f"/api/v1/edge/devices/{self.device.device_id}", lambda d: d["uptime"])

    async def dropped(self, _: str, value):
        body = {"samples": [{"timestamp": "2026-11-29T00:00:00Z"}], "dropped": value}
        return await self.client.post(
            self.device.base("/heartbeat"), json=body, headers=self.device.auth
        ), None

    async def command(self, field: str, value):
        body = {
            "command": "status",
            "parameters": {field: value} | ({"timeout": 1} if field != "timeout" else {}),
        }
        response = await self.client.post(
            f"/api/v1/edge/devices/{self.device.device_id}/command", json=body, headers=self.admin
        )
        return response, None

    async def bulk(self, field: str, value):
        body = {"operation": "status", "device_ids": [self.device.device_id], "parameters": {field: value}}
        return await self.client.post("/api/v1/edge/devices/bulk", json=body, headers=self.admin), None

    async def enrolment_token(self, _: str, value):
        return await self.client.post(
            "/api/v1/edge/enrollment-tokens", json={"expires_in": value}, headers=self.admin
        ), None

    async def threshold(self, field: str, value):
        body = {"thresholds": {"atlas": {"temperature_high": {field: value}}}}
        return await self.client.put("/api/v1/edge/alerts/rules", json=body, headers=self.admin), None

    async def escalation(self, _: str, value):
        body = {"events": {"device_offline": {"escalate_after_seconds": value}}}
        return await self.client.put("/api/v1/edge/alerts/rules", json=body, headers=self.admin), None

    async def command_result(self, _: str, value):
        """A device's report carries any JSON: numbers land in a JSON column and come back as sent."""
        commands = self.container.services.commands()
        command, _ = await commands.submit(ADMIN, self.device.device_id, "diagnose", {})
        await self.client.get(self.device.base("/work"), params={"wait": 0}, headers=self.device.auth)
        body = {"status": "succeeded", "result": {"message": "ok", "figure": value}}
        response = await self.client.post(
            self.device.base(f"/commands/{command.id}"), json=body, headers=self.device.auth
        )
        path = f"/api/v1/edge/devices/{self.device.device_id}/commands/{command.id}"
        return response, (path, lambda d: d["result"]["figure"])


FIELDS: list[tuple[str, str]] = [
    *(("register", f) for f in ("cores", "memory_gb")),
    *(("update", f) for f in ("cores", "memory_gb")),
    *(("enrol", f) for f in ("cores", "memory_gb")),
    *(
        ("sample", f)
        for f in (
            "cpu_usage",
            "memory_usage",
            "temperature",
            "uptime_seconds",
            "ai_core_usage",
            "npu_memory_used_mb",
            "power_w",
        )
    ),
    ("dropped", "dropped"),
    *(("command", f) for f in ("timeout", "expires_in")),
    *(("bulk", f) for f in ("timeout", "expires_in")),
    ("enrolment_token", "expires_in"),
    *(("threshold", f) for f in ("warning", "critical", "for_seconds")),
    ("escalation", "escalate_after_seconds"),
    ("command_result", "figure"),
]


@pytest.fixture
async def fleet(container, monkeypatch):
    commands = container.services.commands()

    async def no_wait(device_id, command_id, timeout):  # bounds are the point here, not the wait
        return await commands.get(device_id, command_id)

    monkeypatch.setattr(commands, "wait", no_wait)
    async with api_client(container) as client:
        admin = auth_header(container, "admin")
        token = (await client.post("/api/v1/edge/enrollment-tokens", json={}, headers=admin)).json()["token"]
        device = DeviceDouble(client, "edge-num")
        assert (await device.enrol(token)).status_code == 201
        yield Fleet(client, container, device)


async def feed(fleet: Fleet, kind: str, field: str, value) -> None:
    send: Callable = getattr(fleet, kind)
    response, read_back = await send(field, value)
    assert response.status_code < 500, (kind, field, value, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == response.status_code and body["code"] and body["error"], body
    elif read_back is not None:
        path, pick = read_back
        stored = await fleet.client.get(path, headers=fleet.admin)
        assert stored.status_code == 200 and pick(stored.json()) == value, (kind, field, value, stored.text)


async def test_every_numeric_field_takes_its_extremes_without_a_server_error(fleet):
    for (kind, field), value in itertools.product(FIELDS, EXTREMES):
        await feed(fleet, kind, field, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(FIELDS),
    value=st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(EXTREMES),
)
async def test_any_number_in_any_numeric_field_is_stored_or_refused_cleanly(fleet, field, value):
    await feed(fleet, *field, value)


async def test_paging_offsets_past_what_a_database_counts_are_refused(fleet):
    for path in (
        "/api/v1/edge/alerts",
        "/api/v1/edge/devices",
        f"/api/v1/edge/devices/{fleet.device.device_id}/commands",
    ):
        response = await fleet.client.get(path, params={"offset": 2**63}, headers=fleet.admin)
        assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR", (
            path,
            response.text,
        )
