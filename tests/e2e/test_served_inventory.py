"""The real ``edgefleet serve`` process over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.server_process import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path, database_url):
    process = ServerProcess(tmp_path, database_url, TEST_SECRET).start()
    yield process
    process.stop()


def test_an_operator_journey_over_real_http(server):
    admin = {
        "Authorization": "Bearer " + server.cli("token", "create", "--role", "admin", "--subject", "ops")
    }
    viewer = {
        "Authorization": "Bearer " + server.cli("token", "create", "--role", "viewer", "--subject", "v")
    }
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        assert http.get("/api/v1/edge/devices").status_code == 401
        for i in range(3):
            body = {"id": f"edge-{i}", "name": f"n{i}", "platform": "atlas" if i else "hisilicon"}
            assert http.post("/api/v1/edge/devices", json=body, headers=admin).status_code == 201
        listed = http.get(
            "/api/v1/edge/devices", params={"platform": "atlas", "limit": 1}, headers=viewer
        ).json()
        assert (listed["total"], len(listed["devices"])) == (2, 1)
        assert (
            http.post(
                "/api/v1/edge/devices", json={"id": "x", "name": "x", "platform": "atlas"}, headers=viewer
            ).status_code
            == 403
        )
        assert http.get("/api/v1/edge/devices/edge-9", headers=viewer).json()["code"] == "DEVICE_NOT_FOUND"


def test_demo_seed_gives_a_populated_fleet_with_history(server):
    server.cli("demo", "seed")
    token = server.cli("token", "create", "--role", "viewer", "--subject", "v")
    with httpx.Client(
        base_url=server.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        fleet = http.get("/api/v1/edge/devices").json()
        assert fleet["total"] >= 6 and all(d["cpu_usage"] is not None for d in fleet["devices"])
        history = http.get("/api/v1/edge/devices/sim-001/history", params={"limit": 5}).json()["history"]
        assert len(history) == 5 and history[0]["timestamp"] > history[-1]["timestamp"]
