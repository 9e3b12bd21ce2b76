"""The agent reports its device's facts in heartbeats: on start, then only when they change."""

from __future__ import annotations

import random

import httpx
import pytest

from entrypoints.agent.backoff import Backoff
from entrypoints.agent.buffer import SampleBuffer
from entrypoints.agent.heartbeat import HeartbeatLoop
from entrypoints.agent.identity import PlatformUnknown, capabilities, heartbeat_facts, reported_platform
from ports.platform import PlatformFacts
from tests.unit.agent.conftest import make_agent


async def facts_loop(http, facts_every: int = 1) -> tuple[HeartbeatLoop, object]:
    agent = make_agent(http)
    await agent.enrol()
    loop = HeartbeatLoop(
        agent.client,
        agent.machine.probe,
        SampleBuffer(100),
        0.01,
        stats=agent.stats,
        backoff=Backoff(0.01, 0.02, rng=random.Random(2)),
        facts=agent._heartbeat_facts,
        facts_every=facts_every,
    )  # noqa: SLF001
    return loop, agent.machine


async def beat(loop: HeartbeatLoop) -> None:
    await loop.sample_once()
    await loop.flush()


async def test_the_first_heartbeat_carries_the_facts_and_unchanged_facts_are_not_resent(http, server):
    loop, _ = await facts_loop(http)
    await beat(loop)
    await beat(loop)
    first, second = server.heartbeats
    assert first["facts"] == {
        "model": "Atlas 500",
        "cores": 8,
        "memory_gb": 16,
        "firmware_version": "2.1.0",
        "tee_enabled": True,
        "tee_type": "iTrustee",
        "capabilities": {"chip_count": 1, "driver_version": "23.0.3", "npu_ids": [0], "simulated": True},
    }
    assert "facts" not in second


async def test_facts_that_change_after_an_update_go_out_with_the_next_heartbeat(http, server):
    loop, machine = await facts_loop(http)
    await beat(loop)
    await machine.update({"version": "2.2.0"})
    await beat(loop)
    assert server.heartbeats[-1]["facts"]["firmware_version"] == "2.2.0"


async def test_facts_are_read_every_few_samples_not_every_sample(http, server):
    loop, machine = await facts_loop(http, facts_every=3)
    await beat(loop)
    machine.probe.firmware_version = "9.9.9"
    await beat(loop)
    await beat(loop)
    assert [h.get("facts", {}).get("firmware_version") for h in server.heartbeats] == ["2.1.0", None, None]
    await beat(loop)  # the fourth sample reads the facts again
    assert server.heartbeats[-1]["facts"]["firmware_version"] == "9.9.9"


async def test_facts_sent_during_an_outage_are_sent_again_once_the_server_is_back(http, server):
    loop, _ = await facts_loop(http)
    server.down = True
    await loop.sample_once()
    server.down = False
    await loop.flush()
    assert server.heartbeats[-1]["facts"]["model"] == "Atlas 500"


async def test_refused_facts_do_not_cost_the_samples_and_are_not_resent_until_they_change(http, server):
    loop, machine = await facts_loop(http)
    server.refuse_facts = True
    await beat(loop)
    await beat(loop)
    assert [len(h["samples"]) for h in server.heartbeats] == [1, 1] and loop.stats.samples_dropped == 0
    server.refuse_facts = False
    machine.probe.firmware_version = "2.2.0"
    await beat(loop)
    assert server.heartbeats[-1]["facts"]["firmware_version"] == "2.2.0"


def test_a_generic_linux_host_is_not_reported_as_hisilicon_and_the_error_names_the_flag():
    with pytest.raises(PlatformUnknown, match="--platform atlas or --platform hisilicon"):
        reported_platform("linux")
    assert reported_platform("linux", "hisilicon") == "hisilicon"
    assert reported_platform("atlas") == "atlas"
    with pytest.raises(PlatformUnknown):
        reported_platform("linux", "linux")


def test_capabilities_keep_plain_names_and_bounded_values_and_drop_transient_errors():
    extra = {
        "npu_ids": list(range(100)),
        "driver_version": "v" * 300,
        "npu_smi_error": "timeout",
        "bad name": 1,
        "ratio": 0.5,
        "nested": {"a": 1},
        "flag": True,
        "missing": None,
        **{f"z{i:02}": i for i in range(40)},
    }
    kept = capabilities(extra)
    assert len(kept) == 32 and "npu_smi_error" not in kept and "bad name" not in kept
    assert kept["npu_ids"] == list(range(64)) and len(kept["driver_version"]) == 256
    assert not {"ratio", "nested", "missing"} & set(kept)


def test_heartbeat_facts_leave_out_what_the_probe_could_not_tell():
    facts = heartbeat_facts(PlatformFacts("atlas", None, None, 0, "", False))
    assert facts == {
        "model": None,
        "cores": None,
        "memory_gb": None,
        "firmware_version": None,
        "tee_enabled": False,
        "tee_type": None,
        "capabilities": {},
    }


async def test_facts_refused_only_because_of_their_samples_go_out_again_with_the_next_batch(http, server):
    loop, _ = await facts_loop(http)
    server.refuse["/heartbeat"] = httpx.Response(
        400, json={"error": "bad sample", "code": "VALIDATION_ERROR", "status": 400}
    )
    await beat(loop)  # refused with the facts, and again without them: the samples were at fault
    server.refuse.clear()
    await beat(loop)
    assert server.heartbeats[-1]["facts"]["model"] == "Atlas 500"
