"""Prometheus metrics, request ids and the API contract's operational log lines."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_metrics_count_requests_heartbeats_and_commands(container, caplog):
    caplog.set_level(logging.INFO, logger="edge_device_service")
    async with api_client(container) as client:
        client.headers.update(auth_header(container, "admin"))
        token = (await client.post("/api/v1/edge/enrollment-tokens", json={})).json()["token"]
        device = DeviceDouble(client, "edge-001")
        await device.enrol(token)
        assert (await device.heartbeat(cpu_usage=10.0, temperature=99.0)).status_code == 200
        run = asyncio.create_task(
            client.post(
                "/api/v1/edge/devices/edge-001/command",
                json={"command": "status", "parameters": {"timeout": 5}},
            )
        )
        work = await device.answer_one_poll()
        command_id = work["commands"][0]["id"]
        await client.post(
            device.base(f"/commands/{command_id}"),
            headers=device.auth,
            json={"status": "failed", "result": {"message": "sensor bus error"}},
        )
        await run
        response = await client.get("/metrics")
        listed = await client.get("/api/v1/edge/devices", headers={"X-Request-ID": "trace-42"})
    text = response.text
    assert (
        'edgefleet_http_request_duration_seconds_count{method="POST",route="agentHeartbeat",status="2xx"} 1.0'
        in text
    )
    assert "edgefleet_heartbeats_total 1.0" in text
    assert 'edgefleet_command_transitions_total{command="status",status="failed"} 1.0' in text
    assert listed.headers["x-request-id"] == "trace-42"
    messages = [r.getMessage() for r in caplog.records if r.name == "edge_device_service"]
    assert "Device edge-001 status check initiated" in messages
    assert "Device edge-001 temperature critical: 99.0°C" in messages
    assert "Failed to execute command on edge-001: sensor bus error" in messages  # exactly, nothing appended
