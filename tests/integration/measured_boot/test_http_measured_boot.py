"""Measured boot over HTTP: quotes with boot event logs, event policies written and learned, and verdicts
that name the failed events (API and live stream), against a simulated TPM behind the agent API."""

from __future__ import annotations

import asyncio

import pytest

from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.simulated import SWAPPED_BOOTLOADER, device_boot_log
from tests.conftest import auth_header
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client

MODEL, FIRMWARE = "Atlas 500", "2.1.0"  # what DeviceDouble enrols as
EVENTS = "/api/v1/edge/policies/events"


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


async def booted(client, device_id="edge-001", bootloader=None) -> DeviceDouble:
    tpm = SimulatedTpm(seed=device_id)
    tpm.measure_log(device_boot_log(MODEL, FIRMWARE, bootloader=bootloader))
    device = DeviceDouble(client, device_id, tpm)
    token = (await client.post("/api/v1/edge/enrollment-tokens", json={})).json()["token"]
    assert (await device.enrol(token)).status_code == 201
    return device


async def with_answer(client, device: DeviceDouble, method: str, path: str, **kwargs):
    answering = asyncio.create_task(device.answer_one_poll())
    response = await client.request(method, path, **kwargs)
    await answering
    return response


async def verify(client, device: DeviceDouble) -> dict:
    response = await with_answer(
        client, device, "POST", f"/api/v1/edge/devices/{device.device_id}/attestation/verify"
    )
    assert response.status_code == 200, response.text
    return response.json()


def reboot_with(device: DeviceDouble, **boot) -> None:
    device.tpm.reboot()
    device.tpm.measure_log(device_boot_log(MODEL, FIRMWARE, **boot))


async def test_a_quote_with_a_log_that_replays_to_it_verifies(client):
    device = await booted(client)
    verdict = await verify(client, device)
    assert (verdict["attestation_status"], verdict["failed_events"], verdict["event_log_error"]) == (
        "success",
        [],
        None,
    )


async def test_a_learned_model_policy_catches_a_swapped_bootloader_and_names_the_event(client, container):
    good = await booted(client)
    learned = await with_answer(
        client,
        good,
        "POST",
        "/api/v1/edge/devices/edge-001/attestation/learn-events",
        params={"model": "true"},
    )
    assert learned.status_code == 200, learned.text
    body = learned.json()
    assert body["scope"] == {"model": MODEL, "firmware_version": FIRMWARE}
    assert len(body["rules"]["boot_applications"]) == 2 and body["rules"]["secure_boot"] is True
    assert body["required_pcrs"] == list(range(8))
    assert (await verify(client, good))["attestation_status"] == "success"

    reboot_with(good, bootloader=SWAPPED_BOOTLOADER)
    with container.core.live_stream().subscribe() as subscription:
        verdict = await verify(client, good)
        message = await asyncio.wait_for(_next_attestation(subscription), 5)
    assert message.failed_events[0]["rule"] == "boot_applications"
    assert (verdict["attestation_status"], verdict["reasons"]) == ("failed", ["event_policy_mismatch"])
    [failure] = verdict["failed_events"]
    assert (failure["rule"], failure["pcr"], failure["type"]) == (
        "boot_applications",
        4,
        "EV_EFI_BOOT_SERVICES_APPLICATION",
    )
    assert failure["seen"] not in failure["expected"] and isinstance(failure["event"], int)
    stored = (await client.get("/api/v1/edge/devices/edge-001/attestation")).json()
    assert stored["failed_events"] == verdict["failed_events"]


async def _next_attestation(subscription):
    from domain.events import AttestationRecorded

    while True:
        event = await subscription.next()
        if isinstance(event, AttestationRecorded):
            return event


async def test_a_log_that_does_not_replay_to_the_quote_fails_with_event_log_mismatch(client):
    device = await booted(client)
    other = device_boot_log(MODEL, FIRMWARE, bootloader="another-shim")  # honest format, other boot
    device.sent_log = lambda log: other
    verdict = await verify(client, device)
    assert (verdict["reasons"], verdict["mismatched_pcrs"]) == (["event_log_mismatch"], [4])


async def test_an_unreadable_log_fails_with_its_fault_and_offset_and_is_stored(client):
    device = await booted(client)
    device.sent_log = lambda log: log[:100]
    verdict = await verify(client, device)
    assert verdict["reasons"] == ["malformed_event_log"]
    assert verdict["event_log_error"] == "truncated at byte 83"
    stored = (await client.get("/api/v1/edge/devices/edge-001/attestation")).json()
    assert (stored["reasons"], stored["event_log_error"]) == (["malformed_event_log"], "truncated at byte 83")


async def test_an_event_policy_without_a_log_fails_rather_than_passing_unjudged(client):
    device = await booted(client)
    put = await client.put(f"{EVENTS}/devices/edge-001", json={"secure_boot": True})
    assert put.status_code == 200, put.text
    device.sent_log = lambda log: b""  # an empty log is not sent at all
    verdict = await verify(client, device)
    assert verdict["reasons"] == ["event_policy_mismatch"]
    assert verdict["failed_events"][0]["rule"] == "event_log"


async def test_event_policies_are_written_read_listed_and_deleted_per_device_and_model(client):
    await booted(client)
    digest = "ab" * 32
    model_path = f"{EVENTS}/models/{MODEL}/{FIRMWARE}"
    put = await client.put(model_path, json={"boot_applications": [digest, "CD" * 32], "separators": True})
    assert put.status_code == 200, put.text
    assert put.json()["rules"] == {"boot_applications": sorted([digest, "cd" * 32]), "separators": True}
    assert (await client.get(model_path)).json()["required_pcrs"] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert (await client.put(f"{EVENTS}/devices/edge-001", json={"dbx": [digest]})).status_code == 200
    listed = (await client.get(EVENTS)).json()["policies"]
    assert [p["scope"] for p in listed] == [
        {"device_id": "edge-001"},
        {"model": MODEL, "firmware_version": FIRMWARE},
    ]
    assert (await client.delete(model_path)).status_code == 204
    missing = await client.get(model_path)
    assert (missing.status_code, missing.json()["code"]) == (404, "POLICY_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"secure_boot": "yes"},
        {"boot_applications": []},
        {"boot_applications": ["zz" * 32]},
        {"bootloader": ["ab" * 32]},
    ],
)
async def test_bad_event_policies_are_400(client, body):
    await booted(client)
    response = await client.put(f"{EVENTS}/devices/edge-001", json=body)
    assert response.status_code == 400 and set(response.json()) >= {"error", "code", "status"}


async def test_an_event_policy_for_an_unknown_device_is_404(client):
    response = await client.put(f"{EVENTS}/devices/nobody", json={"secure_boot": True})
    assert (response.status_code, response.json()["code"]) == (404, "DEVICE_NOT_FOUND")


async def test_auditors_read_event_policies_but_cannot_write_them(client, container):
    await booted(client)
    auditor = auth_header(container, "auditor")
    assert (await client.get(EVENTS, headers=auditor)).status_code == 200
    assert (
        await client.put(f"{EVENTS}/devices/edge-001", json={"secure_boot": True}, headers=auditor)
    ).status_code == 403


async def test_the_simulator_publishes_event_policies_that_pass_clean_devices_and_name_a_swapped_bootloader(
    client, container
):
    from entrypoints.agent.fleet_policies import publish_reference_policies

    token = auth_header(container, "admin")["Authorization"].removeprefix("Bearer ")
    published = await publish_reference_policies(
        client, "http://testserver", token, {(MODEL, FIRMWARE)}, events=True
    )
    assert published == 1
    clean = await booted(client, "edge-001")
    swapped = await booted(client, "edge-002", bootloader=SWAPPED_BOOTLOADER)
    assert (await verify(client, clean))["attestation_status"] == "success"
    verdict = await verify(client, swapped)
    assert verdict["reasons"] == ["event_policy_mismatch"]
    assert [(f["rule"], f["pcr"]) for f in verdict["failed_events"]] == [("boot_applications", 4)]
