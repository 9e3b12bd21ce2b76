"""``edgefleet simulate``: N agents in one asyncio process, with simulated TPMs and synthetic platforms.

Everything about a device (model, location, metric stream, keys) follows from ``--seed`` and its id.
Scripted anomalies, one device each: ``overheating`` (temperature ramps above 90 °C), ``tampered``
(a foreign firmware image measured into PCR 0, so attestation fails), ``offline`` (goes silent after
``offline_after`` seconds).
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.agent_client import AgentClient
from adapters.tpm.fleet import build_fleet
from entrypoints.agent.enrolment import TokenSource
from entrypoints.agent.identity import Identity
from entrypoints.agent.runtime import Agent
from entrypoints.agent.simulated import SimulatedMachine
from entrypoints.agent.state import AgentState
from entrypoints.agent.synthetic import LOCATIONS, SyntheticProbe, choose_model
from entrypoints.agent.fleet_report import FleetReport

log = logging.getLogger("edgefleet.simulate")
ANOMALIES = ("overheating", "tampered", "offline")


def plan_anomalies(device_ids: list[str], seed: str) -> dict[str, str]:
    """device id -> anomaly, one device per anomaly while there are devices to spare."""
    chosen = random.Random(f"{seed}:anomalies").sample(device_ids, min(len(ANOMALIES), len(device_ids)))
    return dict(zip(chosen, ANOMALIES))


@dataclass
class SimulatedDevice:
    agent: Agent
    anomaly: str | None
    machine: SimulatedMachine
    outcome: str = "running"


@dataclass
class SimulationConfig:
    server: str
    devices: int
    seed: str = "edgefleet"
    prefix: str = "sim"
    ak: str = "ecc"
    anomalies: bool = True
    offline_after: float = 120.0
    heartbeat_interval: float | None = None  # None: what the server says at enrolment
    ramp_seconds: float = 5.0  # spread the starts so a thousand enrolments do not arrive at once
    work_seconds: float = 1.0
    state_dir: Path | None = None
    rsa_pool: int = 8  # distinct RSA EKs in the fleet (each costs ~0.5 s to derive)
    reference_policies: bool = True  # with an admin token, publish golden values per model + firmware


def build_devices(config: SimulationConfig, tokens: TokenSource | dict[str, TokenSource],
                  http: httpx.AsyncClient) -> list[SimulatedDevice]:
    tpms = build_fleet(config.devices, prefix=config.prefix, seed=str(config.seed), ak=config.ak,
                       rsa_pool=config.rsa_pool)
    anomalies = plan_anomalies(list(tpms), str(config.seed)) if config.anomalies else {}
    for tpm in tpms.values():
        tpm.ek_public()  # derive the shared RSA EKs now, not while the event loop is serving agents
    devices = []
    for device_id, tpm in tpms.items():
        rng = random.Random(f"{config.seed}:{device_id}")
        model, location = choose_model(rng), rng.choice(LOCATIONS)
        anomaly = anomalies.get(device_id)
        probe = SyntheticProbe(model, rng, overheating=anomaly == "overheating")
        machine = SimulatedMachine(probe, tpm, tampered=anomaly == "tampered", work_seconds=config.work_seconds)
        state = AgentState(config.state_dir / device_id if config.state_dir else None)
        name = f"{model.name.split(' (')[0].replace(' ', '-')}-{device_id}"
        agent = Agent(AgentClient(config.server, http=http, credential=state.credential), machine, state,
                      Identity(device_id, name=name, location=location), tpm=tpm,
                      token=tokens[device_id] if isinstance(tokens, dict) else tokens,
                      heartbeat_interval=config.heartbeat_interval, offload=False,
                      rng=random.Random(f"{config.seed}:{device_id}:backoff"))
        devices.append(SimulatedDevice(agent, anomaly, machine))
    return devices


async def _run_one(device: SimulatedDevice, delay: float, offline_after: float) -> None:
    await asyncio.sleep(delay)
    device_id = device.agent.identity.device_id
    try:
        if device.anomaly == "offline":
            try:
                async with asyncio.timeout(offline_after):
                    await device.agent.run()
            except TimeoutError:
                log.warning("%s goes offline (scripted anomaly)", device_id)
                device.outcome = "offline"
                return
        else:
            await device.agent.run()
        device.outcome = "halted" if device.machine.halted else "stopped"
    except asyncio.CancelledError:
        device.outcome = "stopped"  # the run's duration is over
        raise
    except Exception as exc:  # noqa: BLE001 - one failing agent must not take the fleet down
        device.outcome = f"failed: {exc}"
        log.error("%s stopped: %s", device_id, exc)


async def run_fleet(config: SimulationConfig, devices: list[SimulatedDevice], duration: float | None = None,
                    progress_every: float = 30.0) -> None:
    """Run the devices until ``duration`` elapses (or forever, until cancelled)."""
    for device in devices:
        if device.anomaly:
            log.info("scripted anomaly: %s is %s", device.agent.identity.device_id, device.anomaly)
    step = config.ramp_seconds / max(1, len(devices))
    runs = [asyncio.create_task(_run_one(d, i * step, config.offline_after)) for i, d in enumerate(devices)]
    progress = asyncio.create_task(FleetReport(devices).log_every(progress_every))
    try:
        await asyncio.wait(runs, timeout=duration)
    finally:
        for task in (*runs, progress):
            task.cancel()
        await asyncio.gather(*runs, progress, return_exceptions=True)

def raise_file_limit() -> None:
    """Each agent holds a long-poll and a heartbeat connection: lift the soft descriptor limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def simulate(config: SimulationConfig, *, tokens: list[str] | None = None, admin_token: str | None = None,
                   duration: float | None = None) -> int:
    """The CLI's entry: tokens come from a list (file or flags) or are made with an admin token."""
    from adapters.tpm.fleet import device_ids
    from entrypoints.agent.fleet_policies import publish_reference_policies
    from entrypoints.agent.fleet_tokens import from_admin, from_list

    raise_file_limit()
    limits = httpx.Limits(max_connections=2 * config.devices + 16, max_keepalive_connections=2 * config.devices + 16)
    async with httpx.AsyncClient(limits=limits, timeout=15.0) as http:
        ids = device_ids(config.devices, config.prefix)
        source = from_admin(http, config.server, admin_token, ids) if admin_token else from_list(tokens or [])
        report = FleetReport(build_devices(config, source, http))
        if admin_token and config.reference_policies:
            models = {(d.machine.probe.model.name, d.machine.probe.firmware_version) for d in report.devices}
            published = await publish_reference_policies(http, config.server, admin_token, models)
            log.info("published %d model + firmware reference policies", published)
        try:
            await run_fleet(config, report.devices, duration)
        finally:
            print(report.render())  # also after Ctrl-C: what the fleet did is the point of a run
    failed = report.failures()
    return 1 if failed and len(failed) == len(report.devices) else 0
