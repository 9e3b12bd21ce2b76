"""Acknowledging, listing and finding alerts."""

from __future__ import annotations

import pytest

from domain.access import Principal, Role
from domain.alerts import AlertNotFound, parse_alert_id
from domain.errors import Conflict, ValidationFailed
from domain.events import DeviceStatusChanged
from domain.pagination import PageRequest
from tests.unit.alerts.conftest import changes, open_alerts, reading

OPS, OTHER = Principal("ops", Role.OPERATOR), Principal("admin", Role.ADMIN)


async def test_acknowledging_records_who_and_when_and_is_published(service, clock, bus):
    await service.on_event(reading(clock, temperature=90.0))
    [alert] = await open_alerts(service)
    clock.advance(minutes=3)
    acknowledged = await service.acknowledge(alert.public_id, OPS)
    assert (acknowledged.status, acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (
        "acknowledged",
        "ops",
        clock.now(),
    )
    assert changes(bus)[-1] == ("temperature_high", "acknowledged", "warning")
    assert (await open_alerts(service))[0].status == "acknowledged"  # still open: the condition holds


async def test_acknowledging_twice_keeps_the_first_acknowledger(service, clock):
    await service.on_event(reading(clock, temperature=90.0))
    [alert] = await open_alerts(service)
    await service.acknowledge(str(alert.id), OPS)
    again = await service.acknowledge(alert.public_id, OTHER)
    assert again.acknowledged_by == "ops"


async def test_a_resolved_alert_cannot_be_acknowledged(service, clock):
    await service.on_event(reading(clock, temperature=90.0))
    [alert] = await open_alerts(service)
    await service.on_event(reading(clock, temperature=40.0))
    with pytest.raises(Conflict):
        await service.acknowledge(alert.public_id, OPS)


@pytest.mark.parametrize("alert_id", ["alert-999", "999", "alert-x", "", "alert--1"])
async def test_unknown_or_malformed_ids_are_not_found(service, alert_id):
    with pytest.raises(AlertNotFound):
        await service.acknowledge(alert_id, OPS)


def test_public_ids_parse_with_or_without_the_prefix_and_padding():
    assert [parse_alert_id(t) for t in ("alert-001", "alert-17", "17", "alert-1234")] == [1, 17, 17, 1234]


async def test_listing_is_newest_first_and_filters_by_severity_device_and_status(service, clock):
    for device_id in ("a", "b", "c"):
        await service.on_event(DeviceStatusChanged(device_id, clock.now(), "online", "offline"))
        clock.advance(minutes=1)
    await service.on_event(reading(clock, "b", temperature=99.0))
    await service.on_event(DeviceStatusChanged("a", clock.now(), "offline", "online"))
    page = await service.list()
    assert [(a.device_id, a.rule) for a in page.items] == [
        ("b", "temperature_high"),
        ("c", "device_offline"),
        ("b", "device_offline"),
    ]
    assert [a.device_id for a in (await service.list(severity="critical")).items] == ["b"]
    assert [a.rule for a in (await service.list(device_id="b")).items] == [
        "temperature_high",
        "device_offline",
    ]
    assert [a.device_id for a in (await service.list(status="resolved")).items] == ["a"]
    second = await service.list(status="all", page=PageRequest(limit=2, offset=2))
    assert (second.total, [a.device_id for a in second.items]) == (4, ["b", "a"])


async def test_an_unknown_status_filter_is_a_validation_error(service):
    with pytest.raises(ValidationFailed):
        await service.list(status="closed")
