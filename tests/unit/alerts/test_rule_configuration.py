"""Thresholds: domain defaults, a base (file) laid over them, admins' overrides over that, bad input refused."""

from __future__ import annotations

import pytest

from adapters.memory.alerts import InMemoryAlertUnitOfWork
from domain.access import Principal, Role
from domain.alert_rule_document import merge_rules
from domain.alert_rules import RuleName, RuleSet
from domain.errors import ValidationFailed
from domain.events import DeviceStatusChanged
from domain.services.alerts import AlertService
from tests.unit.alerts.conftest import open_alerts, reading

ADMIN = Principal("root", Role.ADMIN)


def test_the_defaults_survive_a_round_trip_through_their_document():
    defaults = RuleSet.defaults()
    assert merge_rules(defaults, defaults.to_document()) == defaults


def test_a_partial_document_changes_only_what_it_names():
    rules = merge_rules(
        RuleSet.defaults(), {"thresholds": {"hisilicon": {"temperature_high": {"warning": 70}}}}
    )
    assert rules.threshold("hisilicon", RuleName.TEMPERATURE).warning == 70
    assert rules.threshold("hisilicon", RuleName.TEMPERATURE).critical == 85
    assert rules.thresholds["atlas"] == RuleSet.defaults().thresholds["atlas"]


@pytest.mark.parametrize(
    "document,message",
    [
        ([], "rules must be an object"),
        ({"limits": {}}, "unknown limits"),
        ({"thresholds": {"raspberry": {}}}, "thresholds: unknown raspberry"),
        ({"thresholds": {"atlas": {"disk_full": {}}}}, "thresholds.atlas: unknown disk_full"),
        ({"thresholds": {"atlas": {"cpu_high": {"warning": 90, "colour": 1}}}}, "unknown colour"),
        ({"thresholds": {"atlas": {"cpu_high": {"warning": "90"}}}}, "cpu_high.warning must be a number"),
        ({"thresholds": {"atlas": {"cpu_high": {"warning": True}}}}, "must be a number"),
        ({"thresholds": {"atlas": {"cpu_high": {"warning": 120}}}}, "warning must be between 0 and 100"),
        ({"thresholds": {"atlas": {"cpu_high": {"critical": 80}}}}, "critical must be above warning"),
        ({"thresholds": {"atlas": {"cpu_high": {"for_seconds": -1}}}}, "for_seconds must be between"),
        ({"thresholds": {"atlas": {"cpu_high": {"for_seconds": 1.5}}}}, "whole number of seconds"),
        ({"thresholds": {"atlas": {"cpu_high": {"enabled": "yes"}}}}, "true or false"),
        ({"events": {"device_offline": {"severity": "fatal"}}}, "severity must be one of"),
        ({"events": {"command_failed": {"escalate_after_seconds": 60}}}, "device_offline only"),
        ({"events": {"cpu_high": {}}}, "events: unknown cpu_high"),
    ],
)
def test_bad_documents_are_refused_with_the_place_of_the_mistake(document, message):
    with pytest.raises(ValidationFailed, match=message):
        merge_rules(RuleSet.defaults(), document)


async def test_an_admins_override_applies_at_once_and_is_shown(service, clock):
    rules = await service.replace_rules(
        ADMIN, {"thresholds": {"atlas": {"temperature_high": {"warning": 70}}}}
    )
    assert rules.threshold("atlas", RuleName.TEMPERATURE).warning == 70
    await service.on_event(reading(clock, temperature=72.0))
    assert [a.threshold for a in await open_alerts(service)] == [70.0]


async def test_other_workers_see_an_override_once_their_cache_expires(store, clock):
    worker_a = AlertService(lambda: InMemoryAlertUnitOfWork(store), clock, rules_ttl_seconds=10)
    worker_b = AlertService(lambda: InMemoryAlertUnitOfWork(store), clock, rules_ttl_seconds=10)
    assert (await worker_b.rules()).event(RuleName.OFFLINE).severity == "warning"
    await worker_a.replace_rules(ADMIN, {"events": {"device_offline": {"severity": "critical"}}})
    assert (await worker_b.rules()).event(RuleName.OFFLINE).severity == "warning"
    clock.advance(seconds=10)
    assert (await worker_b.rules()).event(RuleName.OFFLINE).severity == "critical"


async def test_an_empty_document_restores_the_base_rules(store, clock):
    base = merge_rules(RuleSet.defaults(), {"thresholds": {"atlas": {"cpu_high": {"for_seconds": 60}}}})
    service = AlertService(lambda: InMemoryAlertUnitOfWork(store), clock, base_rules=base)
    await service.replace_rules(ADMIN, {"thresholds": {"atlas": {"cpu_high": {"for_seconds": 600}}}})
    assert (await service.replace_rules(ADMIN, {})) == base
    assert store.overrides == []


async def test_a_disabled_rule_raises_nothing_and_resolves_what_it_raised(service, clock):
    await service.on_event(DeviceStatusChanged("edge-001", clock.now(), "online", "offline"))
    await service.replace_rules(ADMIN, {"events": {"device_offline": {"enabled": False}}})
    await service.on_event(DeviceStatusChanged("edge-001", clock.now(), "online", "offline"))
    assert await open_alerts(service) == []
