"""The operational log lines, worded as the API contract has them, at the alert rules' own limits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from adapters.observability.operational_log import OperationalLog
from domain.alert_rule_document import merge_rules
from domain.alert_rules import RuleSet
from domain.devices import MetricSample
from domain.events import CommandChanged, SampleRecorded

AT = datetime(2026, 1, 1, tzinfo=UTC)


def log_with(rules: RuleSet) -> OperationalLog:
    async def current() -> RuleSet:
        return rules

    return OperationalLog(current)


def sample(platform: str, temperature: float) -> SampleRecorded:
    return SampleRecorded(
        "edge-7", AT, MetricSample("edge-7", AT, temperature=temperature), platform, "online"
    )


def critical_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "temperature critical" in r.getMessage()]


@pytest.mark.parametrize(("platform", "below", "above"), [("hisilicon", 85.0, 85.5), ("atlas", 95.0, 95.5)])
async def test_temperature_critical_fires_above_the_platforms_critical_alert_limit(
    caplog, platform, below, above
):
    caplog.set_level(logging.WARNING, logger="edge_device_service")
    log = log_with(RuleSet.defaults())
    await log.on_event(sample(platform, below))
    assert critical_lines(caplog) == []
    await log.on_event(sample(platform, above))
    assert critical_lines(caplog) == [f"Device edge-7 temperature critical: {above:.1f}°C"]


async def test_an_admins_override_moves_the_critical_line_with_the_alert(caplog):
    caplog.set_level(logging.WARNING, logger="edge_device_service")
    rules = merge_rules(
        RuleSet.defaults(), {"thresholds": {"hisilicon": {"temperature_high": {"critical": 78}}}}
    )
    log = log_with(rules)
    await log.on_event(sample("hisilicon", 79.0))
    assert critical_lines(caplog) == ["Device edge-7 temperature critical: 79.0°C"]


async def test_a_failed_command_is_logged_in_the_contracts_words(caplog):
    caplog.set_level(logging.ERROR, logger="edge_device_service")
    await log_with(RuleSet.defaults()).on_event(
        CommandChanged("edge-7", AT, command_id=3, command="reboot", status="failed", message="disk full")
    )
    assert [r.getMessage() for r in caplog.records] == ["Failed to execute command on edge-7: disk full"]
