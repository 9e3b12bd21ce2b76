"""The live stream over a real WebSocket: events in order, filtered by role, bad tokens turned away."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.live_stream import LiveStream
from domain.devices import Device, MetricSample, Platform
from domain.events import AttestationRecorded, CommandChanged, RolloutChanged
from tests.conftest import auth_header, token_for
from tests.integration.alert_wiring import alert_app, wire_alerts
from tests.integration.ws_client import Closed, WebSocketSession

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PATH = "/api/v1/edge/stream"


@pytest.fixture
async def app(container):
    await container.services.inventory().register(Device(id="edge-001", name="a", platform=Platform.ATLAS))
    service, stream = wire_alerts(container)
    return alert_app(container, service, stream)


async def heartbeat(container, temperature: float) -> None:
    sample = MetricSample("edge-001", datetime.now(UTC), temperature=temperature)
    await container.services.telemetry().record(sample)


def summary(message: dict) -> tuple:
    if message["type"] == "alert":
        return "alert", message["change"], message["alert"]["severity"]
    if message["type"] == "device_status":
        return "device_status", message["old"], message["new"]
    return (message["type"],)


async def test_a_viewer_receives_status_changes_and_alerts_in_order_and_nothing_else(app, container):
    async with WebSocketSession(app, PATH, headers=auth_header(container, "viewer")) as socket:
        hello = await socket.receive_json()
        assert hello == {
            "type": "hello",
            "role": "viewer",
            "types": ["device_status", "alert", "attestation"],
        }
        await heartbeat(container, 90.0)
        await container.core.events().publish(
            CommandChanged("edge-001", datetime.now(UTC), 1, "reboot", "queued")
        )
        await heartbeat(container, 99.0)
        await heartbeat(container, 40.0)
        received = [summary(await socket.receive_json()) for _ in range(5)]
    assert received == [
        ("alert", "raised", "warning"),
        ("device_status", "unknown", "degraded"),
        ("alert", "escalated", "critical"),
        ("alert", "resolved", "critical"),
        ("device_status", "degraded", "online"),
    ]


@pytest.mark.parametrize(
    "role,types",
    [
        ("viewer", ["device_status", "alert", "attestation"]),
        ("operator", ["device_status", "alert", "command", "attestation", "rollout"]),
        ("auditor", ["device_status", "alert", "command", "attestation", "rollout"]),
        ("admin", ["device_status", "alert", "command", "attestation", "rollout"]),
    ],
)
async def test_each_role_receives_the_event_types_it_may_read(app, container, role, types):
    bus = container.core.events()
    async with WebSocketSession(app, PATH, params={"token": token_for(container, role)}) as socket:
        assert (await socket.receive_json())["types"] == types
        await bus.publish(CommandChanged("edge-001", datetime.now(UTC), 7, "status", "delivered"))
        await bus.publish(AttestationRecorded("edge-001", datetime.now(UTC), "success", ()))
        first = await socket.receive_json()
    if "command" in types:
        assert (first["type"], first["command_id"], first["status"]) == ("command", 7, "delivered")
    else:  # the command event was not for this role: the attestation verdict comes first
        assert first["type"] == "attestation"


@pytest.mark.parametrize(
    "headers,params",
    [
        ({}, {}),
        ({"Authorization": "Bearer nope"}, {}),
        ({}, {"token": "nope"}),
        ({"Authorization": "Basic eDp5"}, {}),
    ],
)
async def test_a_client_without_a_valid_token_gets_an_error_and_is_closed(app, headers, params):
    async with WebSocketSession(app, PATH, headers=headers, params=params) as socket:
        error = await socket.receive_json()
        with pytest.raises(Closed) as closed:
            await socket.receive_json()
    assert (error["type"], error["code"], closed.value.code) == ("error", "UNAUTHORIZED", 4401)


async def test_a_client_that_falls_behind_is_told_how_many_events_it_missed(container):
    service, _ = wire_alerts(container)
    small = LiveStream(capacity=1)
    app = alert_app(container, service, small)
    async with WebSocketSession(app, PATH, headers=auth_header(container, "admin")) as socket:
        await socket.receive_json()
        for command_id in range(4):  # offered faster than the socket is written to
            await small.on_event(
                CommandChanged("edge-001", datetime.now(UTC), command_id, "status", "queued")
            )
        received = [await socket.receive_json() for _ in range(2)]
        assert small.clients == 1
    assert [m.get("command_id", m.get("dropped")) for m in received] == [0, 3]
    assert received[1]["type"] == "lagged" and small.clients == 0


async def test_rollout_progress_streams_to_roles_that_read_rollouts(app, container):
    bus = container.core.events()
    event = RolloutChanged(
        "edge-001", datetime.now(UTC), 3, "device", "running", 0, "2.2.0", "failed", "deadline"
    )
    async with WebSocketSession(app, PATH, params={"token": token_for(container, "operator")}) as socket:
        await socket.receive_json()  # hello
        await bus.publish(
            RolloutChanged("", datetime.now(UTC), 3, "aborted", "aborted", 0, "2.2.0", None, "too many")
        )
        await bus.publish(event)
        aborted, device = await socket.receive_json(), await socket.receive_json()
    assert (aborted["type"], aborted["change"], aborted["device_id"], aborted["reason"]) == (
        "rollout",
        "aborted",
        None,
        "too many",
    )
    assert (device["device_id"], device["device_state"], device["reason"]) == (
        "edge-001",
        "failed",
        "deadline",
    )
