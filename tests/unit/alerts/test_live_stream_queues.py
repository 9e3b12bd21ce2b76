"""The live-stream fan-out: order kept per client, a slow client drops events and is told where."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.live_stream import Lagged, LiveStream
from domain.events import DeviceStatusChanged

AT = datetime(2026, 1, 15, tzinfo=UTC)


def change(n: int) -> DeviceStatusChanged:
    return DeviceStatusChanged(f"edge-{n}", AT, "online", "offline")


async def drain(subscription, count: int) -> list:
    return [await subscription.next() for _ in range(count)]


async def test_every_client_receives_every_event_in_publication_order():
    stream = LiveStream()
    with stream.subscribe() as first, stream.subscribe() as second:
        for n in range(3):
            await stream.on_event(change(n))
        assert [e.device_id for e in await drain(first, 3)] == ["edge-0", "edge-1", "edge-2"]
        assert [e.device_id for e in await drain(second, 3)] == ["edge-0", "edge-1", "edge-2"]


async def test_a_slow_client_drops_the_newest_events_and_gets_a_lagged_notice_at_the_gap():
    stream = LiveStream(capacity=2)
    with stream.subscribe() as slow:
        for n in range(5):
            await stream.on_event(change(n))
        assert [getattr(e, "device_id", e) for e in await drain(slow, 1)] == ["edge-0"]
        await stream.on_event(change(5))
        received = await drain(slow, 3)
    assert [getattr(e, "device_id", e) for e in received] == ["edge-1", Lagged(3), "edge-5"]


async def test_a_client_that_caught_up_hears_about_a_gap_before_waiting():
    stream = LiveStream(capacity=1)
    with stream.subscribe() as slow:
        for n in range(3):
            await stream.on_event(change(n))
        assert [getattr(e, "device_id", e) for e in await drain(slow, 2)] == ["edge-0", Lagged(2)]


async def test_a_client_only_receives_what_it_accepts_and_leaves_no_trace():
    stream = LiveStream()
    with stream.subscribe(lambda e: e.device_id == "edge-1") as picky:
        for n in range(3):
            await stream.on_event(change(n))
        assert [e.device_id for e in await drain(picky, 1)] == ["edge-1"]
        assert stream.clients == 1
    assert stream.clients == 0
