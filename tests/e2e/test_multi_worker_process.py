"""`edgefleet serve --workers 2` on PostgreSQL with live simulated agents: any request on any worker,
and a worker killed with SIGKILL under load loses no acknowledged heartbeat and strands no agent."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import httpx
import psutil
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.server_process import EDGEFLEET, ServerProcess
from tests.e2e.test_agent_process import wait_for

pytestmark = pytest.mark.e2e
DEVICES = 4


def fresh(server, token: str) -> httpx.Client:
    """No keep-alive: each request opens a connection, so the kernel spreads them over the workers."""
    return httpx.Client(
        base_url=server.base_url,
        timeout=40,
        headers={"Authorization": f"Bearer {token}"},
        limits=httpx.Limits(max_keepalive_connections=0),
    )


@pytest.fixture
def fleet(tmp_path, database_url):
    server = ServerProcess(
        tmp_path, database_url, TEST_SECRET, extra_env={"EDGEFLEET_HEARTBEAT_INTERVAL": "1"}
    ).start(workers=2)
    token = server.cli("token", "create", "--role", "admin", "--subject", "e2e")
    log = (tmp_path / "simulate.log").open("ab")
    simulator = subprocess.Popen(
        [
            EDGEFLEET,
            "simulate",
            "--server",
            server.base_url,
            "--devices",
            str(DEVICES),
            "--seed",
            "e2e",
            "--no-anomalies",
            "--ramp",
            "1",
            "--heartbeat-interval",
            "1",
        ],
        env=server.env | {"EDGEFLEET_ADMIN_TOKEN": token},
        stdout=log,
        stderr=log,
    )
    try:
        with fresh(server, token) as http:
            wait_for(
                lambda: (
                    http.get("/api/v1/edge/devices", params={"status": "online"}).json()["total"] == DEVICES
                ),
                60,
            )
            yield server, http
    finally:
        simulator.send_signal(signal.SIGINT)
        simulator.wait(timeout=20)
        server.stop()


def worker_processes(server) -> list[psutil.Process]:
    """uvicorn's live worker processes (not multiprocessing's resource tracker beside them, nor a
    killed worker its parent has not reaped yet)."""
    workers = []
    for child in psutil.Process(server.process.pid).children():
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                workers.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return workers


def attest_all(http) -> list[str]:
    return [
        http.post(f"/api/v1/edge/devices/sim-00{i}/attestation/verify").json().get("attestation_status")
        for i in range(1, DEVICES + 1)
    ]


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path):
    env = os.environ | {
        "EDGEFLEET_VAR_DIR": str(tmp_path),
        "EDGEFLEET_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    done = subprocess.run(
        [EDGEFLEET, "serve", "--workers", "2"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "2 workers need PostgreSQL" in done.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_serve_attestation_commands_and_survive_a_killed_worker(fleet, database_url):
    server, http = fleet
    workers = worker_processes(server)
    assert len(workers) == 2
    assert attest_all(http) == ["success"] * DEVICES
    ran = http.post(
        "/api/v1/edge/devices/sim-001/command", json={"command": "status", "parameters": {"timeout": 20}}
    )
    assert ran.status_code == 200 and ran.json()["status"] == "succeeded", ran.text
    pending = http.post(
        "/api/v1/edge/devices/sim-002/command", json={"command": "diagnose", "parameters": {"timeout": 1}}
    )
    if pending.status_code == 202:  # finished later, seen from whichever worker answers
        command_id = pending.json()["command_id"]
        wait_for(
            lambda: (
                http.get(f"/api/v1/edge/devices/sim-002/commands/{command_id}").json()["status"]
                in ("succeeded", "failed")
            ),
            30,
        )

    # A heartbeat stream of its own, acknowledged ones recorded, while one worker is killed mid-way.
    token = http.post("/api/v1/edge/enrollment-tokens", json={"device_id": "hb-1"}).json()["token"]
    enrolled = httpx.post(
        server.base_url + "/api/v1/agent/enroll",
        json={"enrollment_token": token, "device": {"id": "hb-1", "name": "hb", "platform": "atlas"}},
        timeout=20,
    )
    credential = enrolled.json()["credential"]
    acknowledged: list[str] = []
    start = datetime.now(UTC) - timedelta(hours=1)

    def beat() -> None:
        with httpx.Client(
            base_url=server.base_url,
            timeout=10,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Authorization": f"Bearer {credential}"},
        ) as device:
            for n in range(300):
                at = (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
                try:
                    response = device.post(
                        "/api/v1/agent/devices/hb-1/heartbeat",
                        json={"samples": [{"timestamp": at, "cpu_usage": float(n % 100)}]},
                    )
                except httpx.HTTPError:
                    continue  # the connection died with the worker: not acknowledged, may or may not be stored
                if response.status_code == 200:
                    acknowledged.append(at)

    sender = threading.Thread(target=beat)
    sender.start()
    wait_for(lambda: len(acknowledged) >= 60, 60)
    os.kill(workers[0].pid, signal.SIGKILL)
    sender.join(120)
    assert len(acknowledged) >= 200
    stored = http.get(
        "/api/v1/edge/devices/hb-1/history",
        params={"limit": 1000, "resolution": "raw", "start_time": start.isoformat()},
    ).json()["history"]
    stored_at = {datetime.fromisoformat(p["timestamp"]) for p in stored}
    missing = [at for at in acknowledged if datetime.fromisoformat(at) not in stored_at]
    assert missing == []

    # The surviving (and the restarted) worker serve every agent: polls, challenges, answers.
    wait_for(lambda: len(worker_processes(server)) == 2, 30)
    assert attest_all(http) == ["success"] * DEVICES
