"""Live updates shared by two workers through a real redis-server (skipped where none is installed)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from adapters.live_stream import LiveStream
from adapters.redis_live import CHANNEL, RedisLiveRelay
from domain.devices import MetricSample
from domain.events import CommandChanged, DeviceStatusChanged, SampleRecorded

AT = datetime(2026, 1, 15, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path_factory.mktemp("redis")),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            server.poll()
            if server.returncode is not None:
                pytest.skip("redis-server did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
async def workers(redis_url):
    streams = [LiveStream(), LiveStream()]
    relays = [RedisLiveRelay(redis_url, stream) for stream in streams]
    for relay in relays:
        await relay.start()
    yield relays, streams
    for relay in relays:
        await relay.stop()


def change(n: int) -> DeviceStatusChanged:
    return DeviceStatusChanged(f"edge-{n}", AT, "online", "offline")


async def received(subscription, count: int) -> list:
    return [await asyncio.wait_for(subscription.next(), 5) for _ in range(count)]


async def test_clients_of_every_worker_see_every_workers_events_in_one_order(workers):
    relays, streams = workers
    with streams[0].subscribe() as first, streams[1].subscribe() as second:
        for n in range(6):
            await relays[n % 2].on_event(change(n))
        on_first, on_second = await received(first, 6), await received(second, 6)
    assert on_first == on_second == [change(n) for n in range(6)]


async def test_samples_stay_on_their_worker_and_strangers_on_the_channel_are_ignored(workers, redis_url):
    relays, streams = workers
    sample = MetricSample("edge-1", AT, cpu_usage=5.0)
    with streams[1].subscribe() as client:
        await relays[0].on_event(SampleRecorded("edge-1", AT, sample, "atlas", "online"))
        publisher = aioredis.from_url(redis_url)
        await publisher.publish(CHANNEL, b'{"kind": "Nonsense", "event": {}}')
        await publisher.aclose()
        command = CommandChanged("edge-1", AT, 4, "reboot", "failed", "disk full")
        await relays[0].on_event(command)
        assert await received(client, 1) == [command]


async def test_without_redis_a_worker_still_shows_its_own_events():
    stream = LiveStream()
    relay = RedisLiveRelay(f"redis://127.0.0.1:{free_port()}/0", stream)
    with stream.subscribe() as client:
        await relay.on_event(change(1))
        assert await received(client, 1) == [change(1)]
    await relay.stop()
