"""Alerts and the live stream against a real server process: a device overheats (warning, then
critical, then resolved as it cools), then goes silent (offline alert); a WebSocket client sees it all
in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import TEST_SECRET
from tests.e2e.server_process import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def server(tmp_path, database_url):
    process = ServerProcess(
        tmp_path, database_url, TEST_SECRET, {"EDGEFLEET_HEARTBEAT_INTERVAL": "1"}
    ).start()
    yield process
    process.stop()


def summary(message: dict) -> tuple:
    if message["type"] == "alert":
        return "alert", message["alert"]["rule"], message["change"], message["alert"]["severity"]
    return "device_status", message["old"], message["new"]


def test_overheating_then_silence_raise_alerts_that_stream_in_order(server):
    admin = {
        "Authorization": "Bearer " + server.cli("token", "create", "--role", "admin", "--subject", "ops")
    }
    viewer = server.cli("token", "create", "--role", "viewer", "--subject", "screen")
    with httpx.Client(base_url=server.base_url, timeout=20) as http:
        token = http.post("/api/v1/edge/enrollment-tokens", json={}, headers=admin).json()["token"]
        enrolled = http.post(
            "/api/v1/agent/enroll",
            json={"enrollment_token": token, "device": {"id": "hot-1", "name": "hot", "platform": "atlas"}},
        ).json()
        device = {"Authorization": f"Bearer {enrolled['credential']}"}
        ws_url = server.base_url.replace("http", "ws") + f"/api/v1/edge/stream?token={viewer}"
        with connect(ws_url, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "hello"
            for temperature in (50.0, 90.0, 97.0, 60.0):  # Atlas: warning above 85, critical above 95
                sample = {
                    "timestamp": datetime.now(UTC).isoformat(),
                    "temperature": temperature,
                    "cpu_usage": 10.0,
                }
                assert (
                    http.post(
                        "/api/v1/agent/devices/hot-1/heartbeat", json={"samples": [sample]}, headers=device
                    ).status_code
                    == 200
                )
            received = []  # then 3 missed 1 s heartbeats: the sweep marks the device offline
            while not any(r[:2] == ("alert", "device_offline") for r in received):
                received.append(summary(json.loads(socket.recv(timeout=15))))
        alerts = http.get(
            "/api/v1/edge/alerts", params={"device_id": "hot-1", "status": "all"}, headers=admin
        ).json()
    assert received[:1] == [("device_status", "unknown", "online")]
    temperature = [r for r in received if r[0] == "alert" and r[1] == "temperature_high"]
    assert [(r[2], r[3]) for r in temperature] == [
        ("raised", "warning"),
        ("escalated", "critical"),
        ("resolved", "critical"),
    ]
    assert ("device_status", "online", "offline") in received
    assert received.index(("device_status", "online", "offline")) > received.index(temperature[-1])
    by_rule = {a["rule"]: a for a in alerts["alerts"]}
    assert (
        by_rule["temperature_high"]["status"] == "resolved"
        and by_rule["device_offline"]["status"] == "active"
    )
