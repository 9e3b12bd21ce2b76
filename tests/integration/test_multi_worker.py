"""Two API workers on one PostgreSQL (two containers and apps in one process, each with its own pool
and signal channel), as `edgefleet serve --workers 2` runs them: any request may land on either."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from adapters.leadership import AdvisoryLockLeadership
from adapters.persistence.throwaway_postgres import free_port
from adapters.tpm.simulated import SimulatedTpm
from domain.services.commands import device_topic
from entrypoints.container import build_container, channels, shutdown_container
from tests.conftest import auth_header, make_settings
from tests.integration.agent_double import DeviceDouble
from tests.integration.http_client import api_client
from tests.integration.ws_client import WebSocketSession

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


@asynccontextmanager
async def worker(tmp_path, database_url):
    container = build_container(make_settings(tmp_path, database_url))
    async with AsyncExitStack() as stack:
        stack.push_async_callback(shutdown_container, container)
        for channel in channels(container):
            await channel.start()
            stack.push_async_callback(channel.stop)
        client = await stack.enter_async_context(api_client(container))
        client.headers.update(auth_header(container, "admin"))
        yield client, container


@pytest.fixture
async def workers(tmp_path, database_url):
    async with worker(tmp_path / "a", database_url) as a, worker(tmp_path / "b", database_url) as b:
        yield a, b


async def eventually(check, seconds: float = 3.0) -> bool:
    """True as soon as ``check()`` is (the NOTIFY's trip through PostgreSQL), False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def enrolled_on(client, device_id: str) -> DeviceDouble:
    token = (await client.post("/api/v1/edge/enrollment-tokens", json={"device_id": device_id})).json()[
        "token"
    ]
    device = DeviceDouble(client, device_id, SimulatedTpm(seed=device_id))
    assert (await device.enrol(token)).status_code == 201
    return device


async def test_a_verify_on_one_worker_is_answered_through_the_other(workers):
    (a, _), (b, _) = workers
    device = await enrolled_on(b, "edge-001")  # the agent talks to worker B only
    answering = asyncio.create_task(device.answer_one_poll(wait=20))
    response = await a.post("/api/v1/edge/devices/edge-001/attestation/verify")
    await answering
    assert response.status_code == 200, response.text
    assert response.json()["attestation_status"] == "success"


async def test_a_command_queued_on_one_worker_wakes_the_long_poll_held_by_the_other(workers):
    (a, _), (b, b_container) = workers
    device = await enrolled_on(b, "edge-001")
    poll = asyncio.create_task(b.get(device.base("/work"), params={"wait": 30}, headers=device.auth))
    signals = b_container.core.signals()

    async def poll_waits_on_b() -> bool:
        return signals.waiting(device_topic("edge-001")) > 0

    assert await eventually(poll_waits_on_b)
    started = time.monotonic()
    queued = await a.post(
        "/api/v1/edge/devices/edge-001/command", json={"command": "status", "parameters": {"timeout": 1}}
    )
    work = (await poll).json()
    assert queued.status_code in (200, 202)
    assert [c["command"] for c in work["commands"]] == ["status"]
    # woken by the channel, not by the poll's own periodic re-read of the store (every 5 s)
    assert time.monotonic() - started < 4.0


async def test_a_write_on_one_worker_drops_the_fleet_listing_cached_by_the_other(workers):
    (a, _), (b, _) = workers
    assert (await b.get("/api/v1/edge/devices")).json()["total"] == 0  # now cached on B for 30 s
    await a.post("/api/v1/edge/devices", json={"id": "edge-9", "name": "n", "platform": "atlas"})

    async def listed() -> bool:
        return (await b.get("/api/v1/edge/devices")).json()["total"] == 1

    assert await eventually(listed)  # well before the 30 s the cached listing would otherwise live


async def test_a_credential_revoked_on_one_worker_stops_working_on_the_other(workers):
    (a, _), (b, _) = workers
    device = await enrolled_on(b, "edge-001")
    assert (await device.heartbeat(cpu_usage=1.0)).status_code == 200  # credential now cached on B
    assert (await a.delete("/api/v1/edge/devices/edge-001")).status_code == 204

    async def refused() -> bool:
        return (await device.heartbeat(cpu_usage=1.0)).status_code == 401

    assert await eventually(refused)  # not after the credential cache's 30 s


async def test_a_stream_client_on_one_worker_sees_events_raised_on_the_other(workers):
    (a, container_a), (b, container_b) = workers
    await a.post("/api/v1/edge/devices", json={"id": "edge-1", "name": "n", "platform": "atlas"})
    app_b = b._transport.app
    async with WebSocketSession(
        app_b, "/api/v1/edge/stream", headers=auth_header(container_b, "admin")
    ) as socket:
        assert (await socket.receive_json())["type"] == "hello"
        queued = await a.post(
            "/api/v1/edge/devices/edge-1/command", json={"command": "status", "parameters": {"timeout": 1}}
        )
        assert queued.status_code in (200, 202)
        message = await asyncio.wait_for(socket.receive_json(), 5)
    assert (message["type"], message["device_id"], message["status"]) == ("command", "edge-1", "queued")


async def test_one_worker_runs_the_fleet_wide_jobs_and_another_takes_over_when_it_dies(database_url):
    first, second = AdvisoryLockLeadership(database_url), AdvisoryLockLeadership(database_url)
    try:
        assert await first.holds() and await first.holds()
        assert not await second.holds()
        await first.release()  # as when its process dies: the session ends, PostgreSQL frees the lock
        assert await eventually(second.holds)  # as soon as the server has noticed the session is gone
        assert not await first.holds()
    finally:
        await first.release()
        await second.release()


async def test_health_says_degraded_while_the_worker_is_cut_off_from_the_channel(workers):
    (a, container), _ = workers
    assert (await a.get("/api/v1/edge/health")).json()["channel"] == "connected"
    signals = container.core.signals()
    await signals.stop()
    signals._dsn = (
        f"postgresql://edgefleet@127.0.0.1:{free_port()}/gone"  # the channel's server is unreachable
    )
    await signals.start(timeout=0.5)
    body = (await a.get("/api/v1/edge/health")).json()
    assert (body["channel"], body["overall_status"]) == ("disconnected", "degraded")
