"""In-test devices that take firmware updates: an update reboots the simulated TPM into the new
version's boot (or a tampered one, for versions bad on this device), the next heartbeat reports the
version, and attestation challenges are answered with real quotes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from adapters.tpm.simulated import SimulatedTpm
from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.policy import learn
from entrypoints.agent.simulated import device_boot_log, golden_pcrs
from tests.integration.agent_double import DeviceDouble

MODEL, OLD, NEW = "Atlas 500", "2.1.0", "2.2.0"  # DeviceDouble enrols as an Atlas 500 on 2.1.0
ARTIFACT = {"url": "https://fw.example/atlas-2.2.0.bin", "sha256": "ab" * 32, "size": 1024}


class UpdatingDevice(DeviceDouble):
    def __init__(self, client, device_id: str, bad_versions: tuple[str, ...] = ()) -> None:
        tpm = SimulatedTpm(seed=device_id)
        tpm.measure_log(device_boot_log(MODEL, OLD))
        super().__init__(client, device_id, tpm)
        self.firmware, self.bad_versions, self.updates = OLD, bad_versions, []

    async def serve(self) -> None:
        """One poll: run update commands, report the facts, answer challenges."""
        work = await self.answer_one_poll(wait=0)
        for command in work["commands"]:
            url = self.base(f"/commands/{command['id']}")
            if command["command"] != "update":
                await self.client.post(url, json={"status": "succeeded", "result": {}}, headers=self.auth)
                continue
            version = command["parameters"]["version"]
            self.updates.append(version)
            self.tpm.reboot()
            self.tpm.measure_log(device_boot_log(MODEL, version, tampered=version in self.bad_versions))
            self.firmware = version
            result = {"status": "succeeded", "result": {"message": f"updated to {version}"}}
            assert (await self.client.post(url, json=result, headers=self.auth)).status_code == 200
        sample = {"timestamp": datetime.now(UTC).isoformat(), "cpu_usage": 10.0}
        facts = {"firmware_version": self.firmware}
        answer = await self.client.post(
            self.base("/heartbeat"), json={"samples": [sample], "facts": facts}, headers=self.auth
        )
        assert answer.status_code == 200, answer.text


async def enrol_fleet(client, admin: dict, count: int, bad_versions=()) -> list[UpdatingDevice]:
    devices = []
    for i in range(count):
        token = (await client.post("/api/v1/edge/enrollment-tokens", json={}, headers=admin)).json()["token"]
        device = UpdatingDevice(client, f"fw-{i:02d}", bad_versions)
        assert (await device.enrol(token)).status_code == 201
        devices.append(device)
    return devices


async def publish_policy(client, admin: dict, version: str = NEW, events: bool = False) -> None:
    """The model's reference policy for ``version``: golden PCR values, or an event policy learned from
    a clean boot log of that version."""
    if events:
        scope = PolicyScope.for_model(MODEL, version)
        body = learn(scope, parse_log(device_boot_log(MODEL, version)), HashAlg.SHA256).as_dict()
        url = f"/api/v1/edge/policies/events/models/{quote(MODEL)}/{version}"
    else:
        body = {"bank": "sha256", "pcrs": {str(i): v.hex() for i, v in golden_pcrs(MODEL, version).items()}}
        url = f"/api/v1/edge/policies/models/{quote(MODEL)}/{version}"
    answer = await client.put(url, json=body, headers=admin)
    assert answer.status_code == 200, answer.text


async def drive(
    container, devices, client, admin, rollout_id: int, until: set[str], steps: int = 40, step=None
) -> dict:
    """Scheduler steps (``step``, default the container's scheduler), with the devices serving while
    each runs (a step waits for their quotes)."""
    step_once = step or container.services.rollouts().advance
    for _ in range(steps):
        running = asyncio.ensure_future(step_once())
        while not running.done():
            await asyncio.gather(*(d.serve() for d in devices))
            await asyncio.sleep(0.01)
        await running
        await asyncio.gather(*(d.serve() for d in devices))
        rollout = (await client.get(f"/api/v1/edge/rollouts/{rollout_id}", headers=admin)).json()
        if rollout["state"] in until:
            return rollout
    raise AssertionError(f"rollout {rollout_id} still {rollout['state']}: {rollout['devices']}")
