"""Building a simulated fleet: every device's model, location, metric stream and keys follow from the
seed and its id; scripted anomalies go to one device each."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import httpx

from entrypoints.agent.bootstrap import agent_client, simulated_tpms, update_key
from entrypoints.agent.enrolment import TokenSource
from entrypoints.agent.identity import Identity
from entrypoints.agent.runtime import Agent
from entrypoints.agent.simulated import SimulatedMachine
from entrypoints.agent.state import AgentState
from entrypoints.agent.synthetic import LOCATIONS, Model, SyntheticProbe, choose_model

ANOMALIES = ("overheating", "tampered", "offline")
SCENARIOS = ("swapped_bootloader",)  # opt-in anomalies (simulate --scenario)


def plan_anomalies(device_ids: list[str], seed: str, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """device id -> anomaly, one device per anomaly while there are devices to spare."""
    anomalies = ANOMALIES + tuple(extra)
    chosen = random.Random(f"{seed}:anomalies").sample(device_ids, min(len(anomalies), len(device_ids)))
    return dict(zip(chosen, anomalies))


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
    event_policies: bool = False  # publish event policies (learned from each model's boot log) instead
    scenarios: tuple[str, ...] = ()  # of SCENARIOS, one device each on top of the anomalies
    publish_firmware: tuple[str, ...] = ()  # next versions whose golden values are published too
    bad_firmware: tuple[str, ...] = ()  # versions that boot a foreign image on ``bad_fraction`` of devices
    bad_fraction: float = 1.0
    update_public_key: str | None = None  # PEM file the agents check update signatures with


def bad_versions(config: SimulationConfig, device_id: str) -> frozenset[str]:
    """The bad versions on this device: a share ``bad_fraction`` of the fleet, drawn from the seed."""
    return frozenset(
        version
        for version in config.bad_firmware
        if random.Random(f"{config.seed}:{device_id}:bad:{version}").random() < config.bad_fraction
    )


def describe(rng: random.Random, device_id: str) -> tuple[Model, str, str]:
    """A simulated device's model, location and name, drawn from ``rng`` (seeded by fleet seed and id),
    so whoever knows the seed (the demo's history seeder too) describes the device as its agent will."""
    model, location = choose_model(rng), rng.choice(LOCATIONS)
    return model, location, f"{model.name.split(' (')[0].replace(' ', '-')}-{device_id}"


def device_rng(seed: str, device_id: str) -> random.Random:
    return random.Random(f"{seed}:{device_id}")


def build_devices(
    config: SimulationConfig, tokens: TokenSource | dict[str, TokenSource], http: httpx.AsyncClient
) -> list[SimulatedDevice]:
    tpms = simulated_tpms(
        config.devices, prefix=config.prefix, seed=str(config.seed), ak=config.ak, rsa_pool=config.rsa_pool
    )
    anomalies = plan_anomalies(list(tpms), str(config.seed), config.scenarios) if config.anomalies else {}
    for tpm in tpms.values():
        tpm.ek_public()  # derive the shared RSA EKs now, not while the event loop is serving agents
    key = update_key(config.update_public_key)
    devices = []
    for device_id, tpm in tpms.items():
        rng = device_rng(str(config.seed), device_id)
        model, location, name = describe(rng, device_id)
        anomaly = anomalies.get(device_id)
        probe = SyntheticProbe(model, rng, overheating=anomaly == "overheating")
        machine = SimulatedMachine(
            probe,
            tpm,
            tampered=anomaly == "tampered",
            swapped_bootloader=anomaly == "swapped_bootloader",
            work_seconds=config.work_seconds,
            bad_firmware=bad_versions(config, device_id),
        )
        state = AgentState(config.state_dir / device_id if config.state_dir else None)
        agent = Agent(
            agent_client(config.server, state, http),
            machine,
            state,
            Identity(device_id, name=name, location=location),
            tpm=tpm,
            token=tokens[device_id] if isinstance(tokens, dict) else tokens,
            heartbeat_interval=config.heartbeat_interval,
            offload=False,
            rng=random.Random(f"{config.seed}:{device_id}:backoff"),
            update_key=key,
        )
        devices.append(SimulatedDevice(agent, anomaly, machine))
    return devices
