"""Within-limits samples of a device known to be clear skip the store; nothing that matters is skipped."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory.alerts import InMemoryAlertUnitOfWork
from domain.services.alerts import AlertService, QuietDevices
from tests.unit.alerts.conftest import changes, open_alerts, reading


def counting_service(store, clock, bus, quiet_ttl_seconds=60.0):
    opened = []

    def uow():
        opened.append(1)
        return InMemoryAlertUnitOfWork(store)

    # rules cached for the whole test: only evaluations open units of work after the first read
    return AlertService(uow, clock, bus, quiet_ttl_seconds=quiet_ttl_seconds, rules_ttl_seconds=3600), opened


async def test_a_healthy_devices_samples_after_the_first_touch_no_store(store, clock, bus):
    service, opened = counting_service(store, clock, bus)
    await service.rules()  # the rule book reads the store once on its own
    opened.clear()
    for _ in range(5):  # 40 s of heartbeats every 10 s, inside the 60 s quiet window
        await service.on_event(reading(clock, temperature=40.0, cpu_usage=20.0))
        clock.advance(seconds=10)
    assert len(opened) == 1


async def test_a_breach_is_still_stored_and_its_recovery_still_resolves_the_alert(store, clock, bus):
    service, _ = counting_service(store, clock, bus)
    await service.on_event(reading(clock, temperature=40.0))  # now quiet
    await service.on_event(reading(clock, temperature=90.0))  # breaches: must reach the store
    assert [a.rule.value for a in await open_alerts(service)] == ["temperature_high"]
    await service.on_event(reading(clock, temperature=40.0))  # not quiet any more: resolves
    assert await open_alerts(service) == []
    assert changes(bus) == [
        ("temperature_high", "raised", "warning"),
        ("temperature_high", "resolved", "warning"),
    ]


async def test_quiet_lasts_the_ttl_and_a_zero_ttl_turns_it_off(store, clock, bus):
    service, opened = counting_service(store, clock, bus, quiet_ttl_seconds=60)
    await service.rules()
    opened.clear()
    await service.on_event(reading(clock, temperature=40.0))
    clock.advance(seconds=61)
    await service.on_event(reading(clock, temperature=40.0))
    assert len(opened) == 2
    off, opened_off = counting_service(store, clock, bus, quiet_ttl_seconds=0)
    await off.rules()
    opened_off.clear()
    for _ in range(3):
        await off.on_event(reading(clock, device_id="edge-002", temperature=40.0))
    assert len(opened_off) == 3


def test_an_evaluation_overlapping_one_that_stored_a_breach_never_marks_the_device_quiet(clock):
    now, quiet = clock.now(), QuietDevices(timedelta(seconds=60))
    # the breach finishes first
    quiet.begin("d"), quiet.begin("d")
    quiet.end("d", now, quiet=False)
    quiet.end("d", now, quiet=True)
    assert not quiet.holds("d", now)
    # the clear one finishes first: not quiet yet, the other may still store a breach...
    quiet.begin("d"), quiet.begin("d")
    quiet.end("d", now, quiet=True)
    assert not quiet.holds("d", now)
    quiet.end("d", now, quiet=False)  # ...and it did
    assert not quiet.holds("d", now)
    # alone again, it may be quiet
    quiet.begin("d")
    quiet.end("d", now, quiet=True)
    assert quiet.holds("d", now) and not quiet.holds("d", now + timedelta(seconds=60))
