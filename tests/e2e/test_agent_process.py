"""Real ``edgefleet agent`` and ``edgefleet simulate`` processes against a real server over loopback."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.server_process import EDGEFLEET, ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path, database_url):
    process = ServerProcess(
        tmp_path, database_url, TEST_SECRET, extra_env={"EDGEFLEET_HEARTBEAT_INTERVAL": "1"}
    ).start()
    yield process
    process.stop()


@pytest.fixture
def admin(server) -> httpx.Client:
    token = server.cli("token", "create", "--role", "admin", "--subject", "e2e")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, timeout=40, headers=headers) as http:
        http.admin_token = token
        yield http


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def start_agent(server, state_dir, *args: str) -> subprocess.Popen:
    log = (state_dir.parent / "agent.log").open("ab")
    return subprocess.Popen(
        [
            EDGEFLEET,
            "agent",
            "--server",
            server.base_url,
            "--tpm",
            "simulated",
            "--state-dir",
            str(state_dir),
            *args,
        ],
        env=server.env,
        stdout=log,
        stderr=log,
    )


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


def test_an_agent_enrols_reports_runs_commands_attests_and_restarts_without_a_token(server, admin, tmp_path):
    token = admin.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600}).json()["token"]
    state = tmp_path / "agent-state"
    agent = start_agent(
        server, state, "--enroll-token", token, "--device-id", "e2e-agent", "--platform", "hisilicon"
    )
    try:
        device = wait_for(
            lambda: (
                (d := admin.get("/api/v1/edge/devices/e2e-agent")).status_code == 200
                and d.json()["last_seen"]
                and d.json()
            )
        )
        assert device["platform"] == "hisilicon"  # as --platform said: the agent does not guess
        assert "compatible" in device["hardware"]["capabilities"]  # the first heartbeat carried its facts
        status = admin.post("/api/v1/edge/devices/e2e-agent/command", json={"command": "status"}).json()
        assert status["status"] == "succeeded" and status["output"]["facts"]["platform"] == "hisilicon"
        reboot = admin.post("/api/v1/edge/devices/e2e-agent/command", json={"command": "reboot"}).json()
        assert reboot["status"] == "rejected"  # no --reboot-command: the agent never reboots on its own
        verdict = admin.post("/api/v1/edge/devices/e2e-agent/attestation/verify").json()
        assert verdict["attestation_status"] == "success"
    finally:
        assert stop(agent) == 0
    assert stat.S_IMODE(os.stat(state / "credential").st_mode) == 0o600
    seen = admin.get("/api/v1/edge/devices/e2e-agent").json()["last_seen"]
    again = start_agent(server, state)  # no token, no --platform: the state dir remembers both
    try:
        wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-agent").json()["last_seen"] > seen)
    finally:
        assert stop(again) == 0


def test_a_restarted_agent_answers_attestation_at_once(server, admin, tmp_path):
    token = admin.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600}).json()["token"]
    state = tmp_path / "agent-state"
    first = start_agent(
        server, state, "--enroll-token", token, "--device-id", "e2e-restart", "--platform", "hisilicon"
    )
    seen = wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-restart").json().get("last_seen"))
    assert stop(first) == 0
    again = start_agent(server, state)
    try:  # the restarted agent is up once its first heartbeat lands
        wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-restart").json()["last_seen"] > seen)
        verdict = admin.post("/api/v1/edge/devices/e2e-restart/attestation/verify", timeout=10).json()
        assert verdict["attestation_status"] == "success"
    finally:
        assert stop(again) == 0


def test_a_simulated_fleet_shows_its_tampered_device_failing_attestation(server, admin, tmp_path):
    log = (tmp_path / "simulate.log").open("ab")
    sim = subprocess.Popen(
        [
            EDGEFLEET,
            "simulate",
            "--server",
            server.base_url,
            "--devices",
            "4",
            "--seed",
            "e2e",
            "--admin-token",
            admin.admin_token,
            "--duration",
            "25",
            "--ramp",
            "0.5",
        ],
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: admin.get("/api/v1/edge/devices").json()["total"] == 4, seconds=30)
        verdicts = {}
        for i in range(1, 5):
            device_id = f"sim-{i:03d}"
            wait_for(
                lambda device_id=device_id: admin.get(f"/api/v1/edge/devices/{device_id}").json()["last_seen"]
            )
            verdicts[device_id] = admin.post(f"/api/v1/edge/devices/{device_id}/attestation/verify").json()
        failed = {d: v["reasons"] for d, v in verdicts.items() if v.get("attestation_status") == "failed"}
        assert list(failed.values()) == [["policy_mismatch"]]
    finally:
        assert sim.wait(timeout=60) == 0
    summary = (tmp_path / "simulate.log").read_text()
    assert "enrolled: 4" in summary and "'tampered'" in summary


def test_a_command_queued_before_a_server_restart_runs_once_after_it(server, admin, tmp_path):
    token = admin.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600}).json()["token"]
    state = tmp_path / "agent-state"
    agent = start_agent(
        server, state, "--enroll-token", token, "--device-id", "e2e-durable", "--platform", "hisilicon"
    )
    wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-durable").json().get("last_seen"))
    assert stop(agent) == 0  # the device drops off the network
    queued = admin.post(
        "/api/v1/edge/devices/e2e-durable/command", json={"command": "diagnose", "parameters": {"timeout": 1}}
    )
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    location = queued.json()["location"]
    server.stop()
    server.start()  # same database, same port: nothing queued may be lost
    assert admin.get(location).json()["status"] == "queued"
    agent = start_agent(server, state)
    try:
        done = wait_for(lambda: (c := admin.get(location).json())["status"] == "succeeded" and c)
    finally:
        assert stop(agent) == 0
    assert done["delivered_at"] and done["executed_at"] and "disk" in str(done["result"])
    history = admin.get("/api/v1/edge/devices/e2e-durable/commands").json()
    assert history["total"] == 1  # delivered once, run once


@pytest.mark.swtpm
def test_an_agent_on_swtpm_enrols_its_real_tpm_and_attests(server, admin, tmp_path):
    from tests.integration.tpm.conftest import Swtpm

    tpm = Swtpm(tmp_path / "swtpm").start()
    token = admin.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600}).json()["token"]
    state = tmp_path / "agent-state"
    log = (tmp_path / "agent.log").open("ab")
    agent = subprocess.Popen(
        [
            EDGEFLEET,
            "agent",
            "--server",
            server.base_url,
            "--tpm",
            tpm.tcti,
            "--state-dir",
            str(state),
            "--enroll-token",
            token,
            "--device-id",
            "e2e-swtpm",
            "--platform",
            "hisilicon",
        ],
        env=server.env,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-swtpm").json().get("last_seen"), 40)
        verdict = admin.post("/api/v1/edge/devices/e2e-swtpm/attestation/verify").json()
        assert verdict["attestation_status"] == "success", verdict
        assert len(verdict["pcr_values"]) == 8
    finally:
        assert stop(agent) == 0
        tpm.stop()


def test_lifecycle_edges_with_a_real_agent_retry_cancel_and_time_out(server, admin, tmp_path):
    token = admin.post("/api/v1/edge/enrollment-tokens", json={"expires_in": 600}).json()["token"]
    state = tmp_path / "agent-state"
    agent = start_agent(
        server, state, "--enroll-token", token, "--device-id", "e2e-edges", "--platform", "hisilicon"
    )
    wait_for(lambda: admin.get("/api/v1/edge/devices/e2e-edges").json().get("last_seen"))
    base = "/api/v1/edge/devices/e2e-edges"
    try:
        retry = {"Idempotency-Key": "nightly-diag-1"}
        first = admin.post(f"{base}/command", json={"command": "diagnose"}, headers=retry).json()
        again = admin.post(f"{base}/command", json={"command": "diagnose"}, headers=retry).json()
        assert first["status"] == "succeeded" and again["command_id"] == first["command_id"]
    finally:
        assert stop(agent) == 0
    canceled = admin.post(f"{base}/command", json={"command": "status", "parameters": {"timeout": 1}}).json()
    assert admin.post(canceled["location"] + "/cancel").json()["status"] == "canceled"
    expiring = admin.post(
        f"{base}/command", json={"command": "status", "parameters": {"timeout": 1, "expires_in": 2}}
    ).json()
    wait_for(lambda: admin.get(expiring["location"]).json()["status"] == "timed_out", 15)
    agent = start_agent(server, state)  # back online: neither the canceled nor the expired command runs
    try:  # a command queued now and done proves the agent has polled since it came back
        probe = admin.post(f"{base}/command", json={"command": "status", "parameters": {"timeout": 5}}).json()
        done = f"{base}/commands/{probe['command_id']}"  # answered at once, or polled until it is
        wait_for(lambda: admin.get(done).json()["status"] == "succeeded")
        statuses = {c["id"]: c["status"] for c in admin.get(f"{base}/commands").json()["commands"]}
    finally:
        assert stop(agent) == 0
    assert statuses == {
        probe["command_id"]: "succeeded",
        first["command_id"]: "succeeded",
        canceled["command_id"]: "canceled",
        expiring["command_id"]: "timed_out",
    }
