"""Rollouts against a real server and 50 simulated agents (one ``edgefleet simulate`` process): a bad
firmware aborts after its canary; a good one goes canary 5 -> 50 % -> 100 % through a pause, a resume
and a server restart, and ends with every device on the new version, attested, updated exactly once.
Updates are signed by the server's key and checked by every agent."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import TEST_SECRET
from tests.e2e.server_process import EDGEFLEET, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
DEVICES, GOOD, BAD = 50, "3.0.0", "9.9.9"
ARTIFACT = {"url": "https://fw.example/edge-3.0.0.bin", "sha256": "5e" * 32, "size": 4096}
ROLLOUTS = "/api/v1/edge/rollouts"


def keys(tmp_path):
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "signing.pem", tmp_path / "signing.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def server(tmp_path, database_url):
    private, public = keys(tmp_path)
    env = {
        "EDGEFLEET_HEARTBEAT_INTERVAL": "1",
        "EDGEFLEET_ROLLOUT_STEP": "1",
        "EDGEFLEET_ATTESTATION_TIMEOUT": "5",
        "EDGEFLEET_ATTESTATION_INTERVAL": "0",
        "EDGEFLEET_LIST_CACHE_TTL": "0",
        "EDGEFLEET_ROLLOUT_SIGNING_KEY": str(private),
    }
    process = ServerProcess(tmp_path, database_url, TEST_SECRET, env).start()
    process.public_key = public
    yield process
    process.stop()


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except httpx.TransportError:  # the server is restarting
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not reached in {seconds} s: {what}")


def test_rollouts_with_fifty_simulated_agents(server, tmp_path):
    token = server.cli("token", "create", "--role", "admin", "--subject", "release-manager")
    log = (tmp_path / "simulate.log").open("ab")
    sim = subprocess.Popen(
        [
            EDGEFLEET,
            "simulate",
            "--server",
            server.base_url,
            "--devices",
            str(DEVICES),
            "--seed",
            "rollout",
            "--admin-token",
            token,
            "--no-anomalies",
            "--heartbeat-interval",
            "1",
            "--ramp",
            "3",
            "--publish-firmware",
            GOOD,
            "--publish-firmware",
            BAD,
            "--bad-firmware",
            BAD,
            "--update-public-key",
            str(server.public_key),
        ],
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    http = httpx.Client(base_url=server.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    try:

        def online():
            return http.get("/api/v1/edge/devices", params={"status": "online"}).json()["total"] == DEVICES

        wait_for(online, 180, "50 agents online")
        ids = [f"sim-{i:03d}" for i in range(1, DEVICES + 1)]
        for device_id in ids:
            assert http.patch(f"/api/v1/edge/devices/{device_id}", json={"tags": ["e2e"]}).status_code == 200
        assert (
            http.post("/api/v1/edge/groups", json={"name": "e2e", "kind": "static", "tag": "e2e"}).status_code
            == 201
        )
        plan = {
            "phases": {"canary": 5, "percentages": [50, 100]},
            "max_in_flight": 25,
            "rate_per_minute": 1000,
            "device_deadline_seconds": 300,
            "thresholds": {"max_failures": 0},
        }

        # a firmware bad on every device: the canary fails attestation after updating, nothing else is sent
        bad = http.post(
            ROLLOUTS,
            json={
                "name": "bad",
                "group": "e2e",
                "firmware_version": BAD,
                "artifact": ARTIFACT | {"url": "https://fw.example/bad.bin"},
                **plan,
            },
        )
        assert bad.status_code == 201, bad.text
        bad_id = bad.json()["id"]

        def settled():
            r = http.get(f"{ROLLOUTS}/{bad_id}").json()
            busy = any(r["devices"][s] for s in ("pending", "in_flight", "installed", "verifying"))
            return r if r["state"] == "aborted" and not busy else None

        aborted = wait_for(settled, 240, "the bad rollout aborted and settled")
        assert (
            aborted["phases"][0]["devices"]["failed"] >= 1 and aborted["devices"]["canceled"] >= DEVICES - 5
        )
        on_bad = http.get("/api/v1/edge/devices", params={"firmware_version": BAD, "limit": 100}).json()[
            "total"
        ]
        assert 1 <= on_bad <= 5
        failed = [
            t for t in http.get(f"{ROLLOUTS}/{bad_id}/devices").json()["devices"] if t["state"] == "failed"
        ]
        assert {t["reason"] for t in failed} == {"attestation_failed"} and {t["phase"] for t in failed} == {0}
        rules = {a["rule"] for a in http.get("/api/v1/edge/alerts", params={"limit": 500}).json()["alerts"]}
        assert {"rollout_aborted", "update_attestation_failed"} <= rules

        # the good one, paused at once: nothing is sent until it is resumed
        good = http.post(
            ROLLOUTS,
            json={"name": "good", "group": "e2e", "firmware_version": GOOD, "artifact": ARTIFACT, **plan},
        )
        assert good.status_code == 201, good.text
        good_id = good.json()["id"]
        assert [p["size"] for p in good.json()["phases"]] == [5, 20, 25]
        assert http.post(f"{ROLLOUTS}/{good_id}/pause").json()["state"] == "paused"
        time.sleep(3)
        assert http.get(f"{ROLLOUTS}/{good_id}").json()["devices"]["pending"] == DEVICES
        cli = ("rollout", "--server", server.base_url, "--token", token)
        assert "running" in server.cli(*cli, "resume", str(good_id))

        # restart the server once the 50 % phase is under way; the rollout resumes where it was
        wait_for(lambda: http.get(f"{ROLLOUTS}/{good_id}").json()["phase"] >= 1, 240, "phase 1 started")
        server.stop()
        server.start(migrate=False)  # the schema is there: back as fast as the process starts
        done = wait_for(
            lambda: (
                (r := http.get(f"{ROLLOUTS}/{good_id}").json())["state"] in ("completed", "aborted") and r
            ),
            300,
            "the good rollout finished",
        )
        assert done["state"] == "completed", done
        status = server.cli(*cli, "status", str(good_id), "--devices")
        assert "completed" in status and status.count("  succeeded") == DEVICES
        assert done["devices"]["succeeded"] == DEVICES
        page = http.get("/api/v1/edge/devices", params={"limit": 100}).json()
        assert {d["firmware_version"] for d in page["devices"]} == {GOOD}
        assert all(d["tpm_attestation"] for d in page["devices"])
        for device_id in ids:  # exactly one update to the good version per device, across the restart
            commands = http.get(f"/api/v1/edge/devices/{device_id}/commands", params={"limit": 100}).json()[
                "commands"
            ]
            good_updates = [
                c for c in commands if c["command"] == "update" and c["parameters"]["version"] == GOOD
            ]
            assert len(good_updates) == 1 and good_updates[0]["parameters"]["signature"]
        audit = http.get("/api/v1/edge/audit", params={"limit": 500}).json()["entries"]
        actions = {e["action"] for e in audit if e["actor"] == "release-manager"}
        assert {"createRollout", "pauseRollout", "resumeRollout"} <= actions
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert 'edgefleet_rollout_transitions_total{change="completed"} 1.0' in metrics
    finally:
        http.close()
        sim.terminate()
        sim.wait(timeout=30)
