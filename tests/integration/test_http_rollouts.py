"""Rollouts over HTTP on both databases, the scheduler stepped by the test: phases, the success rule
(agent succeeded + new firmware reported + attested against its policy), abort, pause/resume/cancel,
exactly-once sends, refusals that create nothing, roles and the audit trail."""

from __future__ import annotations

import pytest

from domain.rollouts import TargetState
from tests.conftest import auth_header
from tests.integration.http_client import api_client
from tests.integration.rollout_devices import ARTIFACT, NEW, drive, enrol_fleet, publish_policy

ROLLOUTS = "/api/v1/edge/rollouts"


@pytest.fixture
async def client(container):
    async with api_client(container) as client:
        yield client


@pytest.fixture
def admin(container):
    return auth_header(container, "admin")


async def fleet(client, admin, count=6, bad_versions=(), policy=True, events=False):
    devices = await enrol_fleet(client, admin, count, bad_versions)
    for device in devices:
        assert (
            await client.patch(
                f"/api/v1/edge/devices/{device.device_id}", json={"tags": ["wave"]}, headers=admin
            )
        ).status_code == 200
    body = {"name": "wave", "kind": "static", "tag": "wave"}
    assert (await client.post("/api/v1/edge/groups", json=body, headers=admin)).status_code == 201
    if policy:
        await publish_policy(client, admin, events=events)
    return devices


def rollout_body(**overrides) -> dict:
    body = {
        "name": "atlas 2.2.0",
        "group": "wave",
        "firmware_version": NEW,
        "artifact": ARTIFACT,
        "phases": {"canary": 2, "percentages": [50, 100]},
        "max_in_flight": 10,
        "thresholds": {"max_failures": 0},
    }
    return body | overrides


async def test_phases_complete_with_every_device_updated_and_attested(client, container, admin):
    devices = await fleet(client, admin)
    created = await client.post(ROLLOUTS, json=rollout_body(), headers=admin)
    assert created.status_code == 201, created.text
    rollout = created.json()
    assert rollout["state"] == "pending" and [p["size"] for p in rollout["phases"]] == [2, 1, 3]
    done = await drive(container, devices, client, admin, rollout["id"], {"completed", "aborted"})
    assert done["state"] == "completed", done
    assert done["devices"]["succeeded"] == 6 and all(p["done"] for p in done["phases"])
    targets = (await client.get(f"{ROLLOUTS}/{rollout['id']}/devices", headers=admin)).json()["devices"]
    by_phase = {}
    for t in targets:
        by_phase.setdefault(t["phase"], []).append(t)
    for earlier, later in ((0, 1), (1, 2)):  # a phase starts once the previous one has settled
        assert max(t["finished_at"] for t in by_phase[earlier]) <= min(t["sent_at"] for t in by_phase[later])
    for device in devices:
        assert device.updates == [NEW]  # exactly one update each
        detail = (await client.get(f"/api/v1/edge/devices/{device.device_id}", headers=admin)).json()
        assert detail["firmware_version"] == NEW and detail["attestation_status"] == "success"
    command = (
        await client.get(f"/api/v1/edge/devices/fw-00/commands/{targets[0]['command_id']}", headers=admin)
    ).json()
    assert command["parameters"]["sha256"] == ARTIFACT["sha256"] and command["parameters"]["size"] == 1024
    metrics = (await client.get("/metrics")).text
    assert 'edgefleet_rollout_transitions_total{change="completed"} 1.0' in metrics
    audit = (
        await client.get("/api/v1/edge/audit", params={"actor": "rollout-scheduler"}, headers=admin)
    ).json()
    actions = [e["action"] for e in reversed(audit["entries"])]
    assert actions == ["rolloutStarted", "rolloutPhase", "rolloutPhase", "rolloutCompleted"]
    assert 'edgefleet_rollout_device_transitions_total{reason="",state="succeeded"} 6.0' in metrics


@pytest.mark.parametrize("bad_versions, state", [((), "completed"), ((NEW,), "aborted")])
async def test_an_event_policy_for_the_new_firmware_gates_the_rollout_too(
    client, container, admin, bad_versions, state
):
    devices = await fleet(client, admin, count=3, bad_versions=bad_versions, events=True)
    rollout = (await client.post(ROLLOUTS, json=rollout_body(), headers=admin)).json()
    done = await drive(container, devices, client, admin, rollout["id"], {"completed", "aborted"})
    assert done["state"] == state
    if state == "aborted":
        targets = (await client.get(f"{ROLLOUTS}/{rollout['id']}/devices", headers=admin)).json()["devices"]
        assert any("event_policy_mismatch" in (t["message"] or "") for t in targets)


async def test_a_bad_firmware_aborts_after_the_canary_and_raises_alerts(client, container, admin):
    devices = await fleet(client, admin, bad_versions=(NEW,))
    rollout = (await client.post(ROLLOUTS, json=rollout_body(), headers=admin)).json()
    done = await drive(container, devices, client, admin, rollout["id"], {"aborted", "completed"})
    assert done["state"] == "aborted" and "phase 0" in done["reason"]
    await drive(
        container, devices, client, admin, rollout["id"], {"aborted"}
    )  # one more step settles the rest
    targets = (await client.get(f"{ROLLOUTS}/{rollout['id']}/devices", headers=admin)).json()["devices"]
    updated = [d.device_id for d in devices if d.updates]
    assert len(updated) <= 2 and updated == [
        t["device_id"] for t in targets if t["phase"] == 0 and t["command_id"]
    ]
    failed = [t for t in targets if t["state"] == "failed"]
    assert failed and all(t["reason"] == "attestation_failed" for t in failed)
    assert {t["state"] for t in targets if t["phase"] > 0} == {"canceled"}
    alerts = (
        await client.get("/api/v1/edge/alerts", params={"status": "all", "limit": 100}, headers=admin)
    ).json()
    rules = {a["rule"] for a in alerts["alerts"]}
    assert {"rollout_aborted", "update_attestation_failed"} <= rules


async def test_pause_holds_sends_resume_continues_and_cancel_stops(client, container, admin):
    devices = await fleet(client, admin)
    rollout = (await client.post(ROLLOUTS, json=rollout_body(), headers=admin)).json()
    url = f"{ROLLOUTS}/{rollout['id']}"
    assert (await client.post(f"{url}/pause", headers=admin)).json()["state"] == "paused"
    scheduler = container.services.rollouts()
    await scheduler.advance()
    assert not any(d.updates for d in devices)  # paused: nothing sent
    again = await client.post(f"{url}/pause", headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    assert (await client.post(f"{url}/resume", headers=admin)).json()["state"] == "running"
    await drive(container, devices, client, admin, rollout["id"], {"running"}, steps=1)
    assert sum(bool(d.updates) for d in devices) == 2  # the canary
    canceled = await client.post(f"{url}/cancel", headers=admin)
    assert canceled.json()["state"] == "canceled"
    for _ in range(3):
        await drive(container, devices, client, admin, rollout["id"], {"canceled"}, steps=1)
    final = (await client.get(url, headers=admin)).json()
    assert final["devices"]["pending"] == 0 and sum(bool(d.updates) for d in devices) <= 3
    assert (await client.post(f"{url}/resume", headers=admin)).status_code == 409


async def test_a_step_retried_after_a_crash_never_sends_a_device_a_second_update(client, container, admin):
    devices = await fleet(client, admin, count=2)
    rollout = (
        await client.post(
            ROLLOUTS, json=rollout_body(phases={"canary": 1, "percentages": [100]}), headers=admin
        )
    ).json()
    scheduler = container.services.rollouts()
    await scheduler.advance()  # starts and sends the canary
    uow = container.gateways.unit_of_work()
    async with uow:
        [target] = [t for t in await uow.rollouts.targets(rollout["id"]) if t.command_id]
        first = target.command_id
        target.state, target.command_id, target.sent_at = (
            TargetState.PENDING,
            None,
            None,
        )  # as if never recorded
        await uow.rollouts.save_target(target)
        await uow.commit()
    await scheduler.advance()
    async with uow:
        [again] = [t for t in await uow.rollouts.targets(rollout["id"]) if t.device_id == target.device_id]
    assert again.command_id == first
    commands = (await client.get(f"/api/v1/edge/devices/{target.device_id}/commands", headers=admin)).json()
    assert [c["command"] for c in commands["commands"]] == ["update"]
    done = await drive(container, devices, client, admin, rollout["id"], {"completed", "aborted"})
    assert done["state"] == "completed" and [d.updates for d in devices] == [[NEW], [NEW]]


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"group": "nope"}, "Unknown group"),
        ({"firmware_version": "9.9.9", "artifact": None}, "Unknown firmware"),
        ({"thresholds": {"max_failure_percent": 150}}, "max_failure_percent"),
        ({"thresholds": {"max_failures": -1}}, "max_failures"),
        ({"phases": {"canary": 1, "percentages": [60, 50]}}, "percentages"),
        ({"phases": {"canary": 1, "percentages": [50]}}, "end at 100"),
        ({"artifact": {"url": "https://fw.example/x.bin", "size": 10}}, "sha256"),
        ({"artifact": {**ARTIFACT, "sha256": "xyz"}}, "sha256"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"firmware_version": "3.0.0"}, "No reference policy"),
    ],
)
async def test_bad_rollouts_are_400_and_create_nothing(client, container, admin, overrides, says):
    await fleet(client, admin, count=2)
    body = {k: v for k, v in rollout_body(**overrides).items() if v is not None}
    answer = await client.post(ROLLOUTS, json=body, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == 400 and answer.json()["code"] == "VALIDATION_ERROR"
    assert says in answer.text
    assert (await client.get(ROLLOUTS, headers=admin)).json()["total"] == 0
    assert (await client.get("/api/v1/edge/firmware", headers=admin)).json()["firmware"] == []


async def test_empty_groups_and_overlapping_rollouts_are_refused(client, container, admin):
    await fleet(client, admin, count=2)
    empty = {"name": "nobody", "kind": "static", "tag": "nobody"}
    await client.post("/api/v1/edge/groups", json=empty, headers=admin)
    answer = await client.post(ROLLOUTS, json=rollout_body(group="nobody"), headers=admin)
    assert answer.status_code == 400 and "no devices" in answer.text
    assert (await client.post(ROLLOUTS, json=rollout_body(), headers=admin)).status_code == 201
    overlap = await client.post(ROLLOUTS, json=rollout_body(name="again"), headers=admin)
    assert overlap.status_code == 400 and "already in an unfinished rollout" in overlap.text
    assert sorted(overlap.json()["details"]["devices"]) == ["fw-00", "fw-01"]
    assert (await client.get(ROLLOUTS, headers=admin)).json()["total"] == 1


async def test_a_forced_rollout_starts_without_a_policy_and_the_audit_says_so(client, container, admin):
    await fleet(client, admin, count=2, policy=False)
    refused = await client.post(ROLLOUTS, json=rollout_body(), headers=admin)
    assert refused.status_code == 400 and refused.json()["details"]["missing_policies"]
    forced = await client.post(ROLLOUTS, json=rollout_body(force=True), headers=admin)
    assert forced.status_code == 201 and forced.json()["forced"] is True
    audit = (await client.get("/api/v1/edge/audit", params={"action": "createRollout"}, headers=admin)).json()
    outcomes = sorted((e["outcome"], e["parameters"].get("force", False)) for e in audit["entries"])
    assert outcomes == [(201, True), (400, False)]


async def test_admins_steer_rollouts_operators_and_auditors_read_them(client, container, admin):
    await fleet(client, admin, count=2)
    rollout = (await client.post(ROLLOUTS, json=rollout_body(), headers=admin)).json()
    for role in ("operator", "auditor"):
        headers = auth_header(container, role)
        assert (await client.get(ROLLOUTS, headers=headers)).json()["total"] == 1
        assert (await client.get(f"{ROLLOUTS}/{rollout['id']}/devices", headers=headers)).status_code == 200
        assert (await client.post(f"{ROLLOUTS}/{rollout['id']}/pause", headers=headers)).status_code == 403
        assert (await client.post(ROLLOUTS, json=rollout_body(name="x"), headers=headers)).status_code == 403
    assert (await client.get(ROLLOUTS, headers=auth_header(container, "viewer"))).status_code == 403
    missing = await client.get(f"{ROLLOUTS}/999", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


async def test_a_registered_firmware_is_rolled_out_by_version_and_keeps_its_artifact(
    client, container, admin
):
    await fleet(client, admin, count=2)
    registered = await client.put(f"/api/v1/edge/firmware/{NEW}", json=ARTIFACT, headers=admin)
    assert registered.status_code == 200 and registered.json()["artifact"]["signature"] is None
    other = await client.put(f"/api/v1/edge/firmware/{NEW}", json=ARTIFACT | {"size": 7}, headers=admin)
    assert other.status_code == 409
    body = {k: v for k, v in rollout_body().items() if k != "artifact"}
    created = await client.post(ROLLOUTS, json=body, headers=admin)
    assert created.status_code == 201 and created.json()["artifact"]["sha256"] == ARTIFACT["sha256"]
    listed = (await client.get("/api/v1/edge/firmware", headers=auth_header(container, "auditor"))).json()
    assert [f["version"] for f in listed["firmware"]] == [NEW]
    bad_version = await client.put("/api/v1/edge/firmware/no%20spaces", json=ARTIFACT, headers=admin)
    assert bad_version.status_code == 400
