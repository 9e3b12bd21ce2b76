"""Device uptime percentages from online spans, and the use case that keeps the spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.clock import FakeClock
from adapters.memory.uptime import InMemoryUptimeLedger
from domain.devices import Device, Platform
from domain.events import DeviceStatusChanged, SampleRecorded
from domain.services.uptime import UptimeService
from domain.uptime import OnlineSpan, fleet_uptime, online_percent

T0 = datetime(2026, 1, 1, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_device_online_a_quarter_of_the_window_scores_25_percent():
    assert online_percent([OnlineSpan(T0 + 6 * H, T0 + 12 * H)], T0, T0 + 24 * H) == 25.0


def test_an_open_span_counts_up_to_now_and_spans_before_the_window_are_clipped():
    spans = [OnlineSpan(T0 - 5 * H, T0 + 2 * H), OnlineSpan(T0 + 20 * H)]
    assert online_percent(spans, T0, T0 + 24 * H) == round(100 * 6 / 24, 2)


def test_overlapping_spans_count_once():
    spans = [OnlineSpan(T0, T0 + 10 * H), OnlineSpan(T0 + 5 * H, T0 + 12 * H)]
    assert online_percent(spans, T0, T0 + 24 * H) == 50.0


def test_an_empty_window_has_no_figure():
    assert online_percent([], T0, T0) is None


times = st.integers(min_value=-48, max_value=48).map(lambda h: T0 + h * H)
spans = st.lists(
    st.tuples(times, st.one_of(st.none(), times)).map(
        lambda p: OnlineSpan(p[0], p[1] if p[1] is None or p[1] >= p[0] else p[0])
    ),
    max_size=8,
)


@given(spans, spans)
def test_a_percentage_lies_between_0_and_100_and_more_spans_never_lower_it(some, more):
    now = T0 + 24 * H
    base, extended = online_percent(some, T0, now), online_percent(some + more, T0, now)
    assert 0.0 <= base <= extended <= 100.0


def test_the_fleet_figure_is_the_mean_over_devices_each_measured_from_its_registration():
    now = T0 + 24 * H
    always = (None, [OnlineSpan(T0 - 100 * H)])  # online the whole window: 100
    never = (None, [OnlineSpan(T0 - 100 * H, T0 - 50 * H)])  # offline the whole window: 0
    recent = (now - 2 * H, [OnlineSpan(now - H)])  # registered 2 h ago, online for 1: 50
    fleet = fleet_uptime([always, never, recent], now)
    assert fleet.percent["24h"] == 50.0


def device(**changes) -> Device:
    return Device(
        **(
            {
                "id": "edge-001",
                "name": "e",
                "platform": Platform.ATLAS,
                "created_at": T0 - 30 * 24 * H,
                "last_heartbeat": T0,
            }
            | changes
        )
    )


async def test_status_changes_open_and_close_spans_and_a_degraded_device_stays_online():
    clock, ledger = FakeClock(T0), InMemoryUptimeLedger()
    service = UptimeService(ledger, clock)
    await service.on_event(DeviceStatusChanged("edge-001", T0, "unknown", "online"))
    clock.advance(hours=6)
    await service.on_event(
        DeviceStatusChanged("edge-001", clock.now(), "online", "degraded")
    )  # still reachable
    clock.advance(hours=6)
    await service.on_event(DeviceStatusChanged("edge-001", clock.now(), "degraded", "offline"))
    clock.advance(hours=12)
    await service.on_event(SampleRecorded("edge-001", clock.now(), None, "atlas", "online"))  # not a change
    uptime = await service.of_device(device())
    assert uptime.percent == {"24h": 50.0, "7d": round(100 * 12 / (7 * 24), 2)}


async def test_the_server_clock_dates_a_span_not_the_device_clock_in_the_sample():
    clock, ledger = FakeClock(T0), InMemoryUptimeLedger()
    await UptimeService(ledger, clock).on_event(
        DeviceStatusChanged("edge-001", T0 - 10 * H, "offline", "online")
    )
    assert ledger.spans_by_device["edge-001"] == [OnlineSpan(T0)]


async def test_a_device_never_seen_has_no_uptime_rather_than_zero():
    service = UptimeService(InMemoryUptimeLedger(), FakeClock(T0))
    assert (await service.of_device(device(last_heartbeat=None))).percent == {"24h": None, "7d": None}


async def test_the_fleet_figure_is_computed_once_and_served_until_the_next_refresh():
    clock, ledger = FakeClock(T0), InMemoryUptimeLedger()
    service = UptimeService(ledger, clock)
    ledger.devices["edge-001"] = T0 - 30 * 24 * H
    assert service.latest_fleet() is None
    await service.on_event(DeviceStatusChanged("edge-001", T0, "offline", "online"))
    clock.advance(hours=12)
    assert (await service.fleet()).percent["24h"] == 50.0
    clock.advance(hours=12)
    assert (await service.fleet()).percent["24h"] == 50.0  # the cached figure, no new read
    assert (await service.refresh_fleet()).percent["24h"] == 100.0
