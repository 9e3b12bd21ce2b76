"""With the database down, hung or unopenable, every route answers 503 SERVICE_UNAVAILABLE with
Retry-After within a couple of seconds (clients and load balancers back off and retry), never 500."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time

import pytest

from adapters.persistence.migrate import upgrade
from entrypoints.container import build_container, shutdown_container
from tests.conftest import auth_header, make_settings, start_postgres
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client


async def assert_every_route_backs_off(container, device: DeviceDouble | None = None) -> None:
    admin = auth_header(container, "admin")
    async with api_client(container) as client:
        requests = [
            ("GET", "/api/v1/edge/devices?limit=7", None),
            ("GET", "/api/v1/edge/devices/edge-down", None),
            ("POST", "/api/v1/edge/devices", {"id": "edge-new", "name": "n", "platform": "atlas"}),
            ("GET", "/api/v1/edge/alerts", None),
            ("GET", "/api/v1/edge/audit", None),
            (
                "POST",
                "/api/v1/edge/devices/edge-down/command",
                {"command": "status", "parameters": {"timeout": 1}},
            ),
            ("GET", "/api/v1/edge/security/compliance", None),
        ]
        for method, path, body in requests:
            started = time.monotonic()
            response = await client.request(method, path, json=body, headers=admin)
            assert time.monotonic() - started < 3, path
            assert response.status_code == 503, (path, response.text)
            assert response.json()["code"] == "SERVICE_UNAVAILABLE" and response.json()["status"] == 503
            assert int(response.headers["retry-after"]) > 0
        health = await client.get("/api/v1/edge/health", headers=admin)
        assert health.status_code == 503 and health.json()["overall_status"] == "unavailable"
        assert int(health.headers["retry-after"]) > 0
        if device is not None:
            device.client = client
            beat = await device.heartbeat(cpu_usage=5.0)
            assert beat.status_code == 503 and beat.json()["code"] == "SERVICE_UNAVAILABLE", beat.text


@pytest.fixture
def own_postgres():
    """A PostgreSQL of this test's own, since the test stops it."""
    server = start_postgres()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
        server.stop()


@pytest.mark.postgres
async def test_a_postgresql_stopped_under_a_running_app_gives_503_then_recovers_by_itself(
    tmp_path, own_postgres
):
    url = own_postgres.create_database("down")
    upgrade(url)
    container = build_container(make_settings(tmp_path, url))
    try:
        admin = auth_header(container, "admin")
        async with api_client(container) as client:
            body = {"id": "edge-down", "name": "n", "platform": "atlas"}
            assert (await client.post("/api/v1/edge/devices", json=body, headers=admin)).status_code == 201
            token = (await client.post("/api/v1/edge/enrollment-tokens", json={}, headers=admin)).json()[
                "token"
            ]
            device = DeviceDouble(client, "edge-up")
            assert (await device.enrol(token)).status_code == 201
            assert (await device.heartbeat(cpu_usage=5.0)).status_code == 200  # its credential is now cached
        own_postgres._run(own_postgres.pg_ctl, "-D", str(own_postgres.data), "-m", "immediate", "-w", "stop")
        await assert_every_route_backs_off(container, device)
        own_postgres.resume()  # back: the same app serves again, no restart (the pool drops dead connections)
        async with api_client(container) as client:
            device.client = client
            for _ in range(3):  # each dead pooled connection may cost one more 503 as it is found out
                listed = await client.get("/api/v1/edge/devices", headers=admin)
                if listed.status_code == 200:
                    break
            assert listed.status_code == 200 and listed.json()["total"] == 2
            assert (await client.get("/api/v1/edge/health", headers=admin)).status_code == 200
            assert (await device.heartbeat(cpu_usage=6.0)).status_code == 200
    finally:
        await shutdown_container(container)


async def test_a_database_that_accepts_but_never_answers_times_out_into_503(tmp_path):
    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        url = f"postgresql+asyncpg://edgefleet@127.0.0.1:{port}/edgefleet"
        container = build_container(make_settings(tmp_path, url, db_connect_timeout_seconds=1))
        try:
            await assert_every_route_backs_off(container)
        finally:
            await shutdown_container(container)


async def test_a_sqlite_file_that_cannot_be_opened_gives_503(tmp_path):
    container = build_container(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}"))  # a directory
    try:
        await assert_every_route_backs_off(container)
    finally:
        await shutdown_container(container)
