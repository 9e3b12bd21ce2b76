"""CPU, memory and temperature rules: durations, one alert per rule, escalation, automatic resolution."""

from __future__ import annotations

from domain.access import Principal, Role
from domain.alerts import AlertStatus
from tests.unit.alerts.conftest import changes, open_alerts, reading


async def test_cpu_above_the_limit_for_less_than_five_minutes_raises_nothing(service, clock):
    for _ in range(5):
        await service.on_event(reading(clock, cpu_usage=95.0))
        clock.advance(seconds=59)
    assert await open_alerts(service) == []


async def test_cpu_above_the_limit_for_five_minutes_raises_one_warning(service, clock):
    await service.on_event(reading(clock, cpu_usage=95.0))
    clock.advance(minutes=5)
    await service.on_event(reading(clock, cpu_usage=93.0))
    [alert] = await open_alerts(service)
    assert (alert.rule, alert.severity, alert.status, alert.value, alert.threshold) == (
        "cpu_high",
        "warning",
        "active",
        93.0,
        90.0,
    )
    assert alert.message == "CPU usage 93% above the warning limit 90% for 5 min"


async def test_a_dip_below_the_limit_restarts_the_duration(service, clock):
    await service.on_event(reading(clock, cpu_usage=95.0))
    clock.advance(minutes=4)
    await service.on_event(reading(clock, cpu_usage=50.0))
    clock.advance(minutes=1)
    await service.on_event(reading(clock, cpu_usage=95.0))
    clock.advance(minutes=4)
    await service.on_event(reading(clock, cpu_usage=95.0))
    assert await open_alerts(service) == []


async def test_a_lasting_breach_updates_the_one_alert_instead_of_raising_more(service, clock, bus):
    await service.on_event(reading(clock, memory_usage=91.0))
    for value in (92.0, 94.0, 93.0):
        clock.advance(minutes=5)
        await service.on_event(reading(clock, memory_usage=value))
    [alert] = await open_alerts(service)
    assert (alert.value, alert.updated_at, alert.started_at) == (
        93.0,
        clock.now(),
        clock.now().replace(minute=35),
    )
    assert changes(bus) == [("memory_high", "raised", "warning")]  # value updates are not broadcast


async def test_atlas_temperature_warns_above_85_and_turns_critical_above_95_at_once(service, clock, bus):
    await service.on_event(reading(clock, temperature=88.0))
    [alert] = await open_alerts(service)
    assert (alert.severity, alert.threshold) == ("warning", 85.0)
    await service.on_event(reading(clock, temperature=96.0))
    [escalated] = await open_alerts(service)
    assert (escalated.id, escalated.severity, escalated.threshold) == (alert.id, "critical", 95.0)
    assert changes(bus) == [
        ("temperature_high", "raised", "warning"),
        ("temperature_high", "escalated", "critical"),
    ]


async def test_hisilicon_socs_get_lower_temperature_limits_than_atlas_boards(service, clock):
    await service.on_event(reading(clock, "hi-1", "hisilicon", temperature=80.0))
    await service.on_event(reading(clock, "hi-2", "hisilicon", temperature=86.0))
    await service.on_event(reading(clock, "atlas-1", "atlas", temperature=80.0))
    assert [a.severity for a in await open_alerts(service, "hi-1")] == ["warning"]
    assert [a.severity for a in await open_alerts(service, "hi-2")] == ["critical"]
    assert await open_alerts(service, "atlas-1") == []


async def test_cooling_below_the_warning_limit_resolves_the_alert(service, clock, bus):
    await service.on_event(reading(clock, temperature=97.0))
    await service.on_event(reading(clock, temperature=90.0))  # below critical: stays open, worst level kept
    [alert] = await open_alerts(service)
    assert (alert.severity, alert.value) == ("critical", 90.0)
    clock.advance(minutes=1)
    await service.on_event(reading(clock, temperature=60.0))
    assert await open_alerts(service) == []
    [resolved] = (await service.list(status="resolved")).items
    assert (resolved.status, resolved.resolved_at) == (AlertStatus.RESOLVED, clock.now())
    assert changes(bus)[-1] == ("temperature_high", "resolved", "critical")


async def test_a_new_breach_after_resolution_raises_a_new_alert(service, clock):
    await service.on_event(reading(clock, temperature=90.0))
    await service.on_event(reading(clock, temperature=50.0))
    await service.on_event(reading(clock, temperature=90.0))
    everything = (await service.list(status="all")).items
    assert [a.status for a in everything] == ["active", "resolved"]


async def test_escalation_asks_for_a_fresh_acknowledgement(service, clock):
    await service.on_event(reading(clock, temperature=90.0))
    [alert] = await open_alerts(service)
    await service.acknowledge(alert.public_id, Principal("ops", Role.OPERATOR))
    await service.on_event(reading(clock, temperature=91.0))
    assert (await open_alerts(service))[0].status == "acknowledged"  # a new value alone changes nothing
    await service.on_event(reading(clock, temperature=99.0))
    [escalated] = await open_alerts(service)
    assert (escalated.status, escalated.acknowledged_by) == ("active", None)


async def test_a_sample_without_the_metric_neither_raises_nor_resolves(service, clock):
    await service.on_event(reading(clock, temperature=90.0))
    await service.on_event(reading(clock, cpu_usage=10.0))
    assert [a.rule for a in await open_alerts(service)] == ["temperature_high"]


async def test_critical_needs_its_own_duration_for_cpu(service, clock):
    await service.on_event(reading(clock, cpu_usage=95.0))
    clock.advance(minutes=5)
    await service.on_event(reading(clock, cpu_usage=99.0))
    assert (await open_alerts(service))[0].severity == "warning"
    clock.advance(minutes=5)
    await service.on_event(reading(clock, cpu_usage=99.5))
    assert (await open_alerts(service))[0].severity == "critical"
