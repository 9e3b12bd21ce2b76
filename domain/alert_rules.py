"""Alert rules and their thresholds: the defaults, and admin overrides merged over them.

Why the defaults are what they are:
- CPU and memory: above 90 % for 5 minutes is a warning, above 98 % for 5 minutes critical. Spikes are
  normal on an inference box (a model load, a burst of frames); only a sustained level starves it.
- Temperature: no duration by default. A board heats and cools slowly, so one reading over the limit is
  already a trend. Ascend NPUs on Atlas boards run hot by design and throttle near 95 °C: warning at 85
  (where the device turns degraded), critical at 95. HiSilicon SoCs sit in fanless enclosures and age
  faster when hot: warning at 75, five degrees before they turn degraded (80), critical at 85.
- Device offline: a warning at once, critical when it lasts 30 minutes.
- Attestation failed: critical, the device may be running software nobody approved.
- Command failed, rejected or timed out: a warning per command kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.devices import Platform
from domain.errors import ValidationFailed


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "critical": 2}[self.value]


class RuleName(StrEnum):
    CPU = "cpu_high"
    MEMORY = "memory_high"
    TEMPERATURE = "temperature_high"
    OFFLINE = "device_offline"
    ATTESTATION = "attestation_failed"
    COMMAND = "command_failed"
    ROLLOUT_ABORTED = "rollout_aborted"  # on the device whose failure stopped the rollout
    UPDATE_ATTESTATION = "update_attestation_failed"  # updated, then failed attestation


# The sample field each threshold rule watches, and the values a limit on it may take.
METRICS = {RuleName.CPU: "cpu_usage", RuleName.MEMORY: "memory_usage", RuleName.TEMPERATURE: "temperature"}
LIMIT_RANGES = {
    RuleName.CPU: (0.0, 100.0),
    RuleName.MEMORY: (0.0, 100.0),
    RuleName.TEMPERATURE: (-40.0, 150.0),
}
EVENT_RULES = (
    RuleName.OFFLINE,
    RuleName.ATTESTATION,
    RuleName.COMMAND,
    RuleName.ROLLOUT_ABORTED,
    RuleName.UPDATE_ATTESTATION,
)
MAX_SECONDS = 7 * 86400


@dataclass(frozen=True)
class Threshold:
    """Warn when the value stays above ``warning`` for ``for_seconds``; critical likewise above ``critical``
    (None: the rule only warns)."""

    warning: float
    critical: float | None = None
    for_seconds: int = 0
    enabled: bool = True

    def check(self, rule: RuleName) -> None:
        low, high = LIMIT_RANGES[rule]
        for name in ("warning", "critical"):
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                raise ValidationFailed(f"{name} must be between {low:g} and {high:g}")
        if self.critical is not None and self.critical <= self.warning:
            raise ValidationFailed("critical must be above warning")
        if not 0 <= self.for_seconds <= MAX_SECONDS:
            raise ValidationFailed(f"for_seconds must be between 0 and {MAX_SECONDS}")


@dataclass(frozen=True)
class EventRule:
    severity: Severity
    enabled: bool = True
    escalate_after_seconds: int | None = None  # device_offline only: becomes critical after this long

    def check(self, rule: RuleName) -> None:
        if self.escalate_after_seconds is not None:
            if rule is not RuleName.OFFLINE:
                raise ValidationFailed("escalate_after_seconds applies to device_offline only")
            if not 1 <= self.escalate_after_seconds <= MAX_SECONDS:
                raise ValidationFailed(f"escalate_after_seconds must be between 1 and {MAX_SECONDS}")


def _percent(warning: float, critical: float) -> Threshold:
    return Threshold(warning, critical, for_seconds=300)


DEFAULT_THRESHOLDS = {
    Platform.ATLAS: {
        RuleName.CPU: _percent(90, 98),
        RuleName.MEMORY: _percent(90, 98),
        RuleName.TEMPERATURE: Threshold(85, 95),
    },
    Platform.HISILICON: {
        RuleName.CPU: _percent(90, 98),
        RuleName.MEMORY: _percent(90, 98),
        RuleName.TEMPERATURE: Threshold(75, 85),
    },
}
DEFAULT_EVENTS = {
    RuleName.OFFLINE: EventRule(Severity.WARNING, escalate_after_seconds=1800),
    RuleName.ATTESTATION: EventRule(Severity.CRITICAL),
    RuleName.COMMAND: EventRule(Severity.WARNING),
    RuleName.ROLLOUT_ABORTED: EventRule(Severity.CRITICAL),
    RuleName.UPDATE_ATTESTATION: EventRule(Severity.CRITICAL),
}


def _event_document(rule: RuleName, e: EventRule) -> dict[str, Any]:
    escalation = {"escalate_after_seconds": e.escalate_after_seconds} if rule is RuleName.OFFLINE else {}
    return dict(severity=e.severity.value, enabled=e.enabled, **escalation)


@dataclass(frozen=True)
class RuleSet:
    thresholds: Mapping[Platform, Mapping[RuleName, Threshold]]
    events: Mapping[RuleName, EventRule]

    @classmethod
    def defaults(cls) -> RuleSet:
        return cls(DEFAULT_THRESHOLDS, DEFAULT_EVENTS)

    def threshold(self, platform: Platform | str, rule: RuleName) -> Threshold:
        return self.thresholds[Platform(platform)][rule]

    def event(self, rule: RuleName) -> EventRule:
        return self.events[rule]

    def to_document(self) -> dict[str, Any]:
        return {
            "thresholds": {
                p.value: {
                    r.value: dict(
                        warning=t.warning, critical=t.critical, for_seconds=t.for_seconds, enabled=t.enabled
                    )
                    for r, t in rules.items()
                }
                for p, rules in self.thresholds.items()
            },
            "events": {r.value: _event_document(r, e) for r, e in self.events.items()},
        }
