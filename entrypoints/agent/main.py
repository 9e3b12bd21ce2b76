"""``edgefleet agent`` on a real device: wires probe, TPM, state dir and client, runs until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from adapters.agent_client import AgentClient
from adapters.artifact_signing import load_public_key
from entrypoints.agent.enrolment import EnrolmentFailed
from entrypoints.agent.heartbeat import CredentialRejected
from entrypoints.agent.identity import Identity, PlatformUnknown, default_device_id, reported_platform
from entrypoints.agent.machine import HostMachine
from entrypoints.agent.runtime import Agent, fixed_token
from entrypoints.agent.state import AgentState
from entrypoints.agent.tpm_choice import open_tpm

log = logging.getLogger("edgefleet.agent")


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
    update_public_key: str | None = None  # PEM file: updates must be signed by its private key
    heartbeat_interval: float | None = None
    buffer_size: int = 1000


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


async def run_agent(options: AgentOptions) -> int:
    from adapters.platform.detect import detect_probe

    state = AgentState(options.state_dir or default_state_dir())
    device_id = resolve_device_id(state, options.device_id)
    platform = chosen_platform(state, options.platform)
    probe = await asyncio.to_thread(detect_probe, platform, state_dir=state.directory)
    if not state.credential:  # the family is reported at enrolment: refuse before, not halfway through
        try:
            state.set("platform", reported_platform(probe.name, platform))
        except PlatformUnknown as exc:
            log.error("%s", exc)
            return 2
    tpm = open_tpm(options.tpm, state, options.ak)
    machine = HostMachine(
        probe,
        reboot_command=options.reboot_command,
        halt_command=options.halt_command,
        update_command=options.update_command,
    )
    client = AgentClient(options.server, credential=state.credential)
    identity = Identity(device_id, options.name, options.location, platform)
    agent = Agent(
        client,
        machine,
        state,
        identity,
        tpm=tpm,
        token=fixed_token(options.enroll_token),
        buffer_size=options.buffer_size,
        heartbeat_interval=options.heartbeat_interval,
        update_key=load_public_key(options.update_public_key) if options.update_public_key else None,
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, agent.stop)
    log.info(
        "agent %s (state in %s, platform probe %s, TPM %s)",
        device_id,
        state.directory,
        probe.name,
        type(tpm).__name__ if tpm else "none",
    )
    try:
        await agent.run()
    except (EnrolmentFailed, CredentialRejected) as exc:
        log.error("%s", exc)
        return 1
    finally:
        await client.aclose()
        close = getattr(tpm, "close", None)
        if close is not None:
            close()
    return 0
