"""Fixtures for agent tests: a fake server, simulated TPMs sharing one RSA key (derived once), an agent."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from adapters.agent_client import AgentClient
from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.identity import Identity
from entrypoints.agent.runtime import Agent, fixed_token
from entrypoints.agent.simulated import SimulatedMachine
from entrypoints.agent.state import AgentState
from entrypoints.agent.synthetic import MODELS, SyntheticProbe
from tests.unit.agent.fake_server import SERVER, FakeAgentServer

ATLAS_500 = next(m for m, _ in MODELS if m.name == "Atlas 500")
HI3559A = next(m for m, _ in MODELS if m.name == "Hi3559A V100")


def make_tpm(seed: str = "dev-1") -> SimulatedTpm:
    return SimulatedTpm(seed=seed, rsa_seed="agent-unit-tests")  # one RSA EK for every test TPM


def make_machine(model=ATLAS_500, seed: str = "dev-1", **kwargs) -> SimulatedMachine:
    return SimulatedMachine(SyntheticProbe(model, random.Random(seed)), make_tpm(seed), **kwargs)


async def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait for ``condition()`` to hold, re-checked whenever the loop has run a little; fail after
    ``timeout`` seconds (a deadline, not a guess at how long the work takes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        await asyncio.sleep(0.005)


@pytest.fixture
def server() -> FakeAgentServer:
    return FakeAgentServer(tokens=["et_token-0001", "et_token-0002"], heartbeat_interval=1)


@pytest.fixture
async def http(server):
    async with server.client() as client:
        yield client


def make_agent(
    http,
    state: AgentState | None = None,
    machine: SimulatedMachine | None = None,
    token: str | None = "et_token-0001",
    device_id: str = "dev-1",
    **kwargs,
) -> Agent:
    machine = machine or make_machine(seed=device_id)
    state = state or AgentState()
    client = AgentClient(SERVER, http=http, credential=state.credential)
    kwargs.setdefault("rng", random.Random(1))
    kwargs.setdefault("backoff_base", 0.01)  # tests wait out outages in milliseconds
    kwargs.setdefault("backoff_cap", 0.05)
    kwargs.setdefault("tpm", getattr(machine, "tpm", None) or make_tpm(device_id))
    return Agent(
        client,
        machine,
        state,
        Identity(device_id, location="Lab-Munich"),
        token=fixed_token(token),
        offload=False,
        **kwargs,
    )
