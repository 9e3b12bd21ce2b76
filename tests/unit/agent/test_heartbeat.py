import asyncio
import random
from datetime import UTC, datetime

import httpx
import pytest

from entrypoints.agent.backoff import Backoff
from entrypoints.agent.buffer import SampleBuffer
from entrypoints.agent.heartbeat import CredentialRejected, HeartbeatLoop, to_sample
from ports.platform import PlatformMetrics
from tests.unit.agent.conftest import HI3559A, make_agent, make_machine, until


async def enrolled_loop(http, server, capacity=1000, machine=None) -> HeartbeatLoop:
    agent = make_agent(http, machine=machine)
    await agent.enrol()
    return HeartbeatLoop(
        agent.client,
        agent.machine.probe,
        SampleBuffer(capacity),
        0.01,
        stats=agent.stats,
        backoff=Backoff(0.01, 0.02, rng=random.Random(2)),
    )


def test_samples_carry_utc_timestamps_and_clamp_odd_percentages():
    sample = to_sample(
        PlatformMetrics(cpu_usage=100.4, memory_usage=-1, temperature=51.5, uptime_seconds=9),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert sample["timestamp"] == "2026-01-02T03:04:05Z"
    assert (sample["cpu_usage"], sample["memory_usage"], sample["ai_core_usage"]) == (100.0, 0.0, None)


async def test_an_atlas_heartbeat_carries_npu_figures_and_a_hisilicon_one_does_not(http, server):
    atlas = await enrolled_loop(http, server)
    await atlas.sample_once()
    await atlas.flush()
    sample = server.heartbeats[-1]["samples"][0]
    assert None not in (sample["ai_core_usage"], sample["npu_memory_used_mb"], sample["power_w"])
    hisilicon = make_machine(HI3559A, seed="dev-2").probe.metrics()
    assert (hisilicon.ai_core_usage, hisilicon.npu_memory_used_mb, hisilicon.power_w) == (None, None, None)


async def test_samples_taken_during_an_outage_arrive_later_oldest_first_with_the_drop_count(http, server):
    loop = await enrolled_loop(http, server, capacity=3)
    server.down = True
    for _ in range(5):
        await loop.sample_once()
    kept = [s["timestamp"] for s in loop.buffer.batch().samples]
    sending = asyncio.create_task(loop.flush())
    await until(lambda: loop.stats.heartbeat_failures >= 1)
    assert not sending.done()
    server.down = False
    await sending
    [heartbeat] = server.heartbeats
    assert [s["timestamp"] for s in heartbeat["samples"]] == kept and heartbeat["dropped"] == 2
    assert loop.stats.samples_dropped == 2 and loop.stats.samples_accepted == 3 and len(loop.buffer) == 0


async def test_a_revoked_credential_stops_the_heartbeat(http, server):
    loop = await enrolled_loop(http, server)
    server.credentials.clear()
    await loop.sample_once()
    with pytest.raises(CredentialRejected):
        await loop.flush()


async def test_a_batch_the_server_refuses_is_dropped_so_later_samples_still_flow(http, server):
    loop = await enrolled_loop(http, server)
    server.refuse["/heartbeat"] = httpx.Response(
        400, json={"error": "bad", "code": "VALIDATION_ERROR", "status": 400}
    )
    await loop.sample_once()
    await loop.flush()
    server.refuse.clear()
    await loop.sample_once()
    await loop.flush()
    assert server.heartbeats[-1]["dropped"] == 1 and loop.stats.samples_dropped == 1


async def test_the_running_loop_heartbeats_every_interval(http, server):
    loop = await enrolled_loop(http, server)
    task = asyncio.create_task(loop.run())
    await until(lambda: len(server.heartbeats) >= 3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(server.heartbeats) >= 3 and all(len(h["samples"]) >= 1 for h in server.heartbeats)
