"""Enrolment, attestation and reference policies over HTTP, with a simulated TPM behind the agent API."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from adapters.tpm.simulated import SimulatedTpm
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client

CONTRACT_KEYS = {"device_id", "tpm_version", "pcr_values", "attestation_status", "timestamp"}


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


async def token(client, device_id=None) -> str:
    response = await client.post(
        "/api/v1/edge/enrollment-tokens", json={"device_id": device_id} if device_id else {}
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def enrolled(client, device_id="edge-001", ak="ecc") -> DeviceDouble:
    device = DeviceDouble(client, device_id, SimulatedTpm(seed=device_id, ak=ak))
    assert (await device.enrol(await token(client))).status_code == 201
    return device


async def verify_with(client, device: DeviceDouble) -> dict:
    answering = asyncio.create_task(device.answer_one_poll())
    response = await client.post(f"/api/v1/edge/devices/{device.device_id}/attestation/verify")
    await answering
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("ak", ["ecc", "rsassa"])
async def test_an_enrolled_device_attests_and_the_verdict_is_stored(client, ak):
    device = await enrolled(client, ak=ak)
    verdict = await verify_with(client, device)
    assert (
        CONTRACT_KEYS <= set(verdict)
        and verdict["attestation_status"] == "success"
        and verdict["reasons"] == []
    )
    assert set(verdict["pcr_values"]) == {f"pcr_{i}" for i in range(8)}
    assert all(v.startswith("0x") for v in verdict["pcr_values"].values())
    stored = (await client.get("/api/v1/edge/devices/edge-001/attestation")).json()
    assert stored["attestation_status"] == "success" and stored["timestamp"] == verdict["timestamp"]
    assert stored["tpm_latency_seconds"] == verdict["tpm_latency_seconds"] >= 0  # the TPM round trip, stored
    listed = (await client.get("/api/v1/edge/devices")).json()["devices"][0]
    assert listed["tpm_attestation"] is True


async def test_trusting_current_values_then_tampering_fails_with_policy_mismatch(client):
    device = await enrolled(client)
    trusting = asyncio.create_task(device.answer_one_poll())
    policy = await client.post("/api/v1/edge/devices/edge-001/attestation/trust")
    await trusting
    assert policy.status_code == 200 and policy.json()["scope"] == {"device_id": "edge-001"}
    device.tpm.pcr_extend(7, hashlib.sha256(b"evil bootloader").digest())
    verdict = await verify_with(client, device)
    assert (verdict["attestation_status"], verdict["reasons"], verdict["mismatched_pcrs"]) == (
        "failed",
        ["policy_mismatch"],
        [7],
    )
    detail = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert detail["security"]["tpm_attestation"] is False and detail["attestation_status"] == "failed"


async def test_a_device_that_never_answers_is_503(client, container):
    await enrolled(client)
    container.gateways.device_gateway()._timeout = 0.3
    response = await client.post("/api/v1/edge/devices/edge-001/attestation/verify")
    assert response.status_code == 503 and response.json()["code"] == "DEVICE_UNREACHABLE"


async def test_a_device_without_tpm_gets_attestation_failed(client):
    await client.post("/api/v1/edge/devices", json={"id": "no-tpm", "name": "x", "platform": "hisilicon"})
    response = await client.post("/api/v1/edge/devices/no-tpm/attestation/verify")
    assert response.status_code == 400 and response.json()["code"] == "ATTESTATION_FAILED"


async def test_an_unactivated_key_is_not_trusted(client):
    device = DeviceDouble(client, "edge-002", SimulatedTpm(seed="edge-002"))
    await device.enrol(await token(client), activate=False)
    response = await client.post("/api/v1/edge/devices/edge-002/attestation/verify")
    assert response.status_code == 400 and response.json()["code"] == "ATTESTATION_FAILED"


async def test_a_wrong_activation_answer_is_rejected_and_cannot_be_retried(client):
    device = DeviceDouble(client, "edge-003", SimulatedTpm(seed="edge-003"))
    await device.enrol(await token(client), activate=False)
    wrong = await client.post(device.base("/tpm/activate"), json={"secret": "AAAA"}, headers=device.auth)
    assert wrong.status_code == 400 and wrong.json()["code"] == "ENROLMENT_REJECTED"
    again = await client.post(device.base("/tpm/activate"), json={"secret": "AAAA"}, headers=device.auth)
    assert again.status_code == 400


async def test_security_metrics_follow_real_state(client):
    await enrolled(client, "edge-001")
    await enrolled(client, "edge-002")
    await client.post("/api/v1/edge/devices", json={"id": "plain", "name": "x", "platform": "hisilicon"})
    metrics = (await client.get("/api/v1/edge/metrics")).json()
    assert metrics == {
        "total_devices": 3,
        "secure_devices": 2,
        "attestation_success": 0,
        "encryption_enabled": 0,
        "seal_status": "none",
        "device_binding": 100,
        "uptime_percent_24h": None,
        "uptime_percent_7d": None,
    }  # none seen yet: no uptime


async def test_policies_can_be_written_read_and_deleted_by_admins_only(client, container):
    await enrolled(client)
    body = {"bank": "sha256", "pcrs": {"0": "00" * 32, "pcr_7": "0x" + "ab" * 32}}
    put = await client.put("/api/v1/edge/policies/devices/edge-001", json=body)
    assert put.status_code == 200 and put.json()["pcr_values"] == {
        "pcr_0": "0x" + "00" * 32,
        "pcr_7": "0x" + "ab" * 32,
    }
    model = await client.put("/api/v1/edge/policies/models/Atlas 500/2.1.0", json={"pcrs": {"0": "11" * 32}})
    assert model.status_code == 200
    auditor = auth_header(container, "auditor")
    assert len((await client.get("/api/v1/edge/policies", headers=auditor)).json()["policies"]) == 2
    assert (
        await client.put("/api/v1/edge/policies/devices/edge-001", json=body, headers=auditor)
    ).status_code == 403
    assert (await client.delete("/api/v1/edge/policies/devices/edge-001")).status_code == 204
    missing = await client.get("/api/v1/edge/policies/devices/edge-001")
    assert missing.status_code == 404 and missing.json()["code"] == "POLICY_NOT_FOUND"


@pytest.mark.parametrize(
    "pcrs", [{"24": "00" * 32}, {"0": "00" * 20}, {"x": "00" * 32}, {"0": "zz" * 32}, {}]
)
async def test_bad_policies_are_rejected(client, pcrs):
    await enrolled(client)
    response = await client.put("/api/v1/edge/policies/devices/edge-001", json={"pcrs": pcrs})
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


async def test_every_role_reads_attestation_and_only_operators_and_admins_trigger_it(client, container):
    await enrolled(client)
    for role in ("viewer", "operator", "auditor", "admin"):
        response = await client.get(
            "/api/v1/edge/devices/edge-001/attestation", headers=auth_header(container, role)
        )
        assert response.status_code == 200, role
    for role in ("viewer", "auditor"):
        response = await client.post(
            "/api/v1/edge/devices/edge-001/attestation/verify", headers=auth_header(container, role)
        )
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN"), role


async def test_compliance_scores_follow_enrolment_attestation_and_policies(client, container):
    device = await enrolled(client, "edge-001")
    await client.post("/api/v1/edge/devices", json={"id": "plain", "name": "x", "platform": "hisilicon"})
    trusting = asyncio.create_task(device.answer_one_poll())
    await client.post("/api/v1/edge/devices/edge-001/attestation/trust")
    await trusting
    await verify_with(client, device)
    body = (
        await client.get("/api/v1/edge/security/compliance", headers=auth_header(container, "auditor"))
    ).json()
    by_id = {d["device_id"]: d for d in body["devices"]}
    assert body["total"] == 2
    assert by_id["edge-001"]["compliance_score"] == 85 and by_id["edge-001"]["failing"] == ["key_sealed"]
    assert by_id["edge-001"]["tpm_status"] == "active" and by_id["edge-001"]["last_check"] is not None
    assert by_id["plain"]["compliance_score"] == 0 and by_id["plain"]["tpm_status"] == "absent"
    assert set(by_id["plain"]) >= {
        "device_id",
        "tee_status",
        "tpm_status",
        "encryption_status",
        "compliance_score",
        "last_check",
    }
    viewer = await client.get("/api/v1/edge/security/compliance", headers=auth_header(container, "viewer"))
    assert viewer.status_code == 403


async def test_bulk_attest_reports_each_device(client, container):
    devices = [await enrolled(client, f"edge-00{i}") for i in range(1, 4)]
    await client.post("/api/v1/edge/devices", json={"id": "plain", "name": "x", "platform": "hisilicon"})
    container.gateways.device_gateway()._timeout = 2
    answering = [asyncio.create_task(d.answer_one_poll(wait=5)) for d in devices[:2]]  # edge-003 stays silent
    response = await client.post(
        "/api/v1/edge/devices/bulk",
        json={"operation": "attest", "device_ids": ["edge-001", "edge-002", "edge-003", "plain", "ghost"]},
    )
    await asyncio.gather(*answering)
    body = response.json()
    assert response.status_code == 200 and (body["total"], body["succeeded"], body["failed"]) == (5, 2, 3)
    status = {r["device_id"]: (r["status"], (r["error"] or {}).get("code")) for r in body["results"]}
    assert status == {
        "edge-001": ("success", None),
        "edge-002": ("success", None),
        "edge-003": ("unreachable", "DEVICE_UNREACHABLE"),
        "plain": ("error", "ATTESTATION_FAILED"),
        "ghost": ("error", "DEVICE_NOT_FOUND"),
    }


async def test_bulk_commands_queue_one_per_device_and_report_partial_failures(client, container):
    await client.post(
        "/api/v1/edge/devices", json={"id": "a1", "name": "x", "platform": "atlas", "location": "L"}
    )
    await client.post(
        "/api/v1/edge/devices", json={"id": "a2", "name": "x", "platform": "atlas", "location": "L"}
    )
    by_filter = (
        await client.post(
            "/api/v1/edge/devices/bulk", json={"operation": "reboot", "filter": {"location": "L"}}
        )
    ).json()
    assert [(r["device_id"], r["status"]) for r in by_filter["results"]] == [
        ("a1", "queued"),
        ("a2", "queued"),
    ]
    by_ids = (
        await client.post(
            "/api/v1/edge/devices/bulk", json={"operation": "status", "device_ids": ["a1", "nope"]}
        )
    ).json()
    assert by_ids["succeeded"] == 1 and by_ids["results"][1]["error"]["code"] == "DEVICE_NOT_FOUND"
    operator = auth_header(container, "operator")
    refused = await client.post(
        "/api/v1/edge/devices/bulk", headers=operator, json={"operation": "halt", "device_ids": ["a1"]}
    )
    assert refused.status_code == 403
    for body in ({"operation": "reboot"}, {"operation": "reboot", "device_ids": ["a1"], "filter": {}}):
        assert (await client.post("/api/v1/edge/devices/bulk", json=body)).status_code == 400
    unsupported = await client.post(
        "/api/v1/edge/devices/bulk", json={"operation": "format", "device_ids": ["a1"]}
    )
    assert (unsupported.status_code, unsupported.json()["code"]) == (400, "INVALID_COMMAND")


async def test_periodic_attestation_picks_reachable_devices_whose_verdict_is_stale(client, container):
    device = await enrolled(client, "edge-001")
    await enrolled(client, "edge-002")  # never heartbeats: not reachable, not due
    await device.heartbeat(cpu_usage=5.0, timestamp=datetime.now(UTC).isoformat())
    bulk, now = container.services.bulk(), datetime.now(UTC)
    answering = asyncio.create_task(device.answer_one_poll())
    assert await bulk.attest_due(timedelta(minutes=5), now) == 1
    await answering
    assert (await client.get("/api/v1/edge/devices/edge-001/attestation")).json()[
        "attestation_status"
    ] == "success"
    assert await bulk.attest_due(timedelta(minutes=5), now) == 0  # fresh now
