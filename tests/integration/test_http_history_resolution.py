"""GET /devices/{id}/history?resolution=: raw samples for short windows, rollups for long ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.persistence.rollups import roll_up
from domain.devices import Device, MetricSample, Platform
from tests.conftest import auth_header
from tests.integration.http_client import api_client

CONTRACT_POINT_KEYS = {"timestamp", "cpu_usage", "memory_usage", "temperature", "status"}
RANGE_KEYS = {
    "samples",
    "cpu_usage_min",
    "cpu_usage_max",
    "memory_usage_min",
    "memory_usage_max",
    "temperature_min",
    "temperature_max",
}


@pytest.fixture
async def client(container):
    now = datetime.now(UTC)
    await container.services.inventory().register(Device(id="edge-001", name="a", platform=Platform.ATLAS))
    samples = [
        MetricSample("edge-001", now - timedelta(minutes=m), cpu_usage=float(m % 100))
        for m in range(1, 600, 3)
    ]
    await container.services.telemetry().record_batch("edge-001", samples)
    await roll_up(container.gateways.engine(), now + timedelta(hours=1))
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "viewer"))
        yield c


def since(**delta) -> dict:
    return {"start_time": (datetime.now(UTC) - timedelta(**delta)).isoformat()}


@pytest.mark.parametrize(
    "query, resolution",
    [
        ({}, "raw"),
        (since(hours=2), "raw"),
        (since(days=2), "1m"),
        (since(days=20), "1h"),
        ({"resolution": "1h"}, "1h"),
    ],
)
async def test_auto_answers_short_windows_with_samples_and_long_ones_with_rollups(client, query, resolution):
    body = (await client.get("/api/v1/edge/devices/edge-001/history", params=query)).json()
    assert body["resolution"] == resolution and body["history"]
    point = body["history"][0]
    assert CONTRACT_POINT_KEYS <= set(point)
    assert (RANGE_KEYS <= set(point)) == (resolution != "raw")
    assert (point["status"] is None) == (resolution != "raw")


async def test_an_unknown_resolution_is_a_validation_error(client):
    response = await client.get("/api/v1/edge/devices/edge-001/history", params={"resolution": "5m"})
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
