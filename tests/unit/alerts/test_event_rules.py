"""Offline, attestation and command rules: raised by events, resolved by the next good event."""

from __future__ import annotations

from domain.events import AttestationRecorded, CommandChanged, DeviceStatusChanged
from tests.unit.alerts.conftest import changes, open_alerts


def status(clock, old, new, device_id="edge-001"):
    return DeviceStatusChanged(device_id, clock.now(), old, new)


def command(clock, name, state, command_id=1, message=None):
    return CommandChanged("edge-001", clock.now(), command_id, name, state, message)


async def test_a_device_going_offline_raises_a_warning_and_coming_back_resolves_it(service, clock):
    await service.on_event(status(clock, "online", "offline"))
    [alert] = await open_alerts(service)
    assert (alert.rule, alert.severity) == ("device_offline", "warning")
    await service.on_event(status(clock, "offline", "degraded"))
    assert await open_alerts(service) == []


async def test_an_outage_longer_than_thirty_minutes_becomes_critical(service, clock, bus):
    await service.on_event(status(clock, "online", "offline"))
    clock.advance(minutes=29)
    assert await service.escalate_offline() == 0
    clock.advance(minutes=2)
    assert await service.escalate_offline() == 1
    [alert] = await open_alerts(service)
    assert (alert.severity, alert.message) == ("critical", "Device offline for 30 min or more")
    assert await service.escalate_offline() == 0
    assert changes(bus) == [
        ("device_offline", "raised", "warning"),
        ("device_offline", "escalated", "critical"),
    ]


async def test_a_second_offline_event_does_not_raise_a_second_alert(service, clock):
    await service.on_event(status(clock, "online", "offline"))
    await service.on_event(status(clock, "unknown", "offline"))
    assert len(await open_alerts(service)) == 1


async def test_a_failed_attestation_is_critical_and_the_next_success_resolves_it(service, clock):
    await service.on_event(
        AttestationRecorded("edge-001", clock.now(), "failed", ("pcr_7 mismatch", "bad nonce"))
    )
    [alert] = await open_alerts(service)
    assert (alert.rule, alert.severity, alert.message) == (
        "attestation_failed",
        "critical",
        "Attestation failed: pcr_7 mismatch; bad nonce",
    )
    await service.on_event(AttestationRecorded("edge-001", clock.now(), "success", ()))
    assert await open_alerts(service) == []


async def test_failed_commands_warn_per_kind_and_the_next_success_of_that_kind_resolves(service, clock):
    await service.on_event(command(clock, "reboot", "failed", 1, "disk full"))
    await service.on_event(command(clock, "diagnose", "timed_out", 2))
    await service.on_event(command(clock, "reboot", "failed", 3))
    alerts = {a.subject: a for a in await open_alerts(service)}
    assert set(alerts) == {"reboot", "diagnose"} and alerts["reboot"].message == "Command reboot (#3) failed"
    assert alerts["diagnose"].message == "Command diagnose (#2) timed out"
    await service.on_event(command(clock, "status", "succeeded", 4))
    await service.on_event(command(clock, "reboot", "running", 5))
    assert len(await open_alerts(service)) == 2
    await service.on_event(command(clock, "reboot", "succeeded", 5))
    assert [a.subject for a in await open_alerts(service)] == ["diagnose"]


async def test_events_of_other_devices_leave_an_alert_alone(service, clock):
    await service.on_event(status(clock, "online", "offline", "edge-001"))
    await service.on_event(status(clock, "offline", "online", "edge-002"))
    assert len(await open_alerts(service)) == 1
