"""Composition root of the device agent (the server's is entrypoints/container.py, ``edgefleet attest``'s
is entrypoints/attest/root.py): the one place the agent and the simulated fleet get their adapters from.

It must import nothing of the server (Litestar, SQLAlchemy, the container): a device installs only
``edgefleet[agent]``. tests/unit/agent/test_bootstrap.py checks that the import closure stays so.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from adapters.agent_client import AgentClient
from adapters.artifact_signing import load_public_key
from adapters.clock import SystemClock
from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.enrolment import EnrolmentFailed
from entrypoints.agent.identity import Identity, default_device_id, reported_platform
from entrypoints.agent.machine import HostMachine
from entrypoints.agent.runtime import Agent, fixed_token
from entrypoints.agent.state import AgentState
from entrypoints.agent.tpm_choice import open_tpm
from ports.platform import PlatformProbe
from ports.tpm import Tpm


@dataclass
class AgentOptions:
    server: str
    enroll_token: str | None = None
    tpm: str | None = None
    ak: str = "ecc"
    state_dir: Path | None = None
    device_id: str | None = None
    name: str | None = None
    location: str | None = None
    platform: str | None = None
    reboot_command: str | None = None
    halt_command: str | None = None
    update_command: str | None = None
    update_public_key: str | None = None  # PEM file: install only updates its private key signed
    heartbeat_interval: float | None = None
    buffer_size: int = 1000


@dataclass
class WiredAgent:
    """The agent of this device and the adapters its owner closes at the end."""

    agent: Agent
    client: AgentClient
    tpm: Tpm | None
    probe: PlatformProbe
    state: AgentState

    async def close(self) -> None:
        await self.client.aclose()
        close = getattr(self.tpm, "close", None)
        if close is not None:
            close()


def default_state_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/edgefleet-agent")
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "edgefleet-agent"


def resolve_device_id(state: AgentState, requested: str | None) -> str:
    """An enrolled state dir keeps its id; otherwise --device-id, else a generated id kept for next time."""
    stored = state.get("device_id")
    if state.credential and requested and requested != stored:
        raise EnrolmentFailed(
            f"state dir {state.directory} is enrolled as {stored}, not {requested}; "
            "use another --state-dir to enrol a second identity"
        )
    if state.credential:
        return stored
    device_id = requested or stored or default_device_id()
    state.set("device_id", device_id)
    return device_id


def chosen_platform(state: AgentState, requested: str | None) -> str | None:
    """``--platform``, else the family this state dir enrolled as, so a restart needs no flag."""
    return requested or state.get("platform")


def agent_client(server: str, state: AgentState, http: httpx.AsyncClient | None = None) -> AgentClient:
    """The HTTP client to the fleet server, signed in with the state dir's credential once it has one."""
    return AgentClient(server, http=http, credential=state.credential)


async def wire_agent(options: AgentOptions) -> WiredAgent:
    """The agent of a real device: state dir, platform probe, TPM, machine hooks, HTTP client, clock.
    Raises PlatformUnknown before enrolment when the family cannot be told and was not given."""
    from adapters.platform.detect import detect_probe  # probes import psutil and read /proc: only here

    state = AgentState(options.state_dir or default_state_dir())
    device_id = resolve_device_id(state, options.device_id)
    platform = chosen_platform(state, options.platform)
    probe = await asyncio.to_thread(detect_probe, platform, state_dir=state.directory)
    if not state.credential:  # the family is reported at enrolment: refuse before, not halfway through
        state.set("platform", reported_platform(probe.name, platform))
    tpm = open_tpm(options.tpm, state, options.ak)
    machine = HostMachine(
        probe,
        reboot_command=options.reboot_command,
        halt_command=options.halt_command,
        update_command=options.update_command,
    )
    client = agent_client(options.server, state)
    agent = Agent(
        client,
        machine,
        state,
        Identity(device_id, options.name, options.location, platform),
        tpm=tpm,
        token=fixed_token(options.enroll_token),
        buffer_size=options.buffer_size,
        heartbeat_interval=options.heartbeat_interval,
        clock=SystemClock(),
        update_key=update_key(options.update_public_key),
    )
    return WiredAgent(agent, client, tpm, probe, state)


def update_key(pem_file: str | None) -> Ed25519PublicKey | None:
    """The key updates must be signed with (``--update-public-key``), if the device was given one."""
    return load_public_key(pem_file) if pem_file else None


def simulated_tpms(count: int, *, prefix: str, seed: str, ak: str, rsa_pool: int) -> dict[str, SimulatedTpm]:
    """The simulated fleet's TPMs by device id (``edgefleet simulate``, the demo)."""
    from adapters.tpm.fleet import build_fleet

    return build_fleet(count, prefix=prefix, seed=seed, ak=ak, rsa_pool=rsa_pool)
