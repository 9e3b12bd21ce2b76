"""The rules document: the JSON shape admins PUT, a rules file holds and the store keeps.

    {"thresholds": {"atlas": {"temperature_high": {"warning": 80, "critical": 90, "for_seconds": 0,
                                                   "enabled": true}}},
     "events": {"device_offline": {"severity": "warning", "enabled": true, "escalate_after_seconds": 1800}}}

Every level and field is optional: what a document leaves out keeps the value it is laid over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from domain.alert_rules import EVENT_RULES, METRICS, EventRule, RuleName, RuleSet, Severity, Threshold
from domain.devices import Platform
from domain.errors import ValidationFailed

Check = Callable[[Any, str], Any]  # a field's validator: the value as stored, or ValidationFailed
_Rule = TypeVar("_Rule", Threshold, EventRule)

ALL_PLATFORMS = "*"  # the platform of a stored override that is not per platform (event rules)


@dataclass(frozen=True)
class RuleOverride:
    """One stored override: the fields an admin set on one rule, for one platform or for all."""

    rule: str
    platform: str
    settings: dict[str, Any]


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{where} must be a number")
    return float(value)


def _seconds(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{where} must be a whole number of seconds")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{where} must be true or false")
    return value


def _severity(value: object, where: str) -> Severity:
    if value not in set(Severity):
        raise ValidationFailed(f"{where} must be one of {', '.join(Severity)}")
    return Severity(str(value))


def _optional(check: Check) -> Check:
    return lambda value, where: None if value is None else check(value, where)


THRESHOLD_FIELDS = {
    "warning": _number,
    "critical": _optional(_number),
    "for_seconds": _seconds,
    "enabled": _flag,
}
EVENT_FIELDS = {"severity": _severity, "enabled": _flag, "escalate_after_seconds": _optional(_seconds)}


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{where} must be an object")
    return value


def _names(value: object, allowed: Iterable[str], where: str) -> Mapping[str, Any]:
    allowed = list(allowed)
    given = _object(value, where)
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValidationFailed(f"{where}: unknown {', '.join(map(str, unknown))} (use {', '.join(allowed)})")
    return given


def _changed(current: _Rule, patch: object, fields: Mapping[str, Check], rule: RuleName, where: str) -> _Rule:
    given = _names(patch, fields, where)
    changes = {name: fields[name](value, f"{where}.{name}") for name, value in given.items()}
    updated = replace(current, **changes)
    try:
        updated.check(rule)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{where}: {exc.message}") from None
    return updated


def merge_rules(base: RuleSet, document: Mapping[str, Any]) -> RuleSet:
    """``base`` with ``document`` laid over it; ValidationFailed names the first wrong field."""
    _names(document, ("thresholds", "events"), "rules")
    thresholds = {platform: dict(rules) for platform, rules in base.thresholds.items()}
    for platform, rules in _names(document.get("thresholds", {}), list(Platform), "thresholds").items():
        for rule, patch in _names(rules, list(METRICS), f"thresholds.{platform}").items():
            mine = thresholds[Platform(platform)]
            mine[RuleName(rule)] = _changed(
                mine[RuleName(rule)], patch, THRESHOLD_FIELDS, RuleName(rule), f"thresholds.{platform}.{rule}"
            )
    events = dict(base.events)
    for rule, patch in _names(document.get("events", {}), list(EVENT_RULES), "events").items():
        events[RuleName(rule)] = _changed(
            events[RuleName(rule)], patch, EVENT_FIELDS, RuleName(rule), f"events.{rule}"
        )
    return RuleSet(thresholds, events)


def overrides_from(document: Mapping[str, Any]) -> list[RuleOverride]:
    """Split a document (already validated by ``merge_rules``) into rows to store."""
    rows = [
        RuleOverride(rule, platform, dict(patch))
        for platform, rules in document.get("thresholds", {}).items()
        for rule, patch in rules.items()
    ]
    events = document.get("events", {})
    rows += [RuleOverride(rule, ALL_PLATFORMS, dict(patch)) for rule, patch in events.items()]
    return rows


def document_from(overrides: Iterable[RuleOverride]) -> dict[str, Any]:
    document: dict[str, Any] = {"thresholds": {}, "events": {}}
    for row in overrides:
        if row.platform == ALL_PLATFORMS:
            document["events"][row.rule] = dict(row.settings)
        else:
            document["thresholds"].setdefault(row.platform, {})[row.rule] = dict(row.settings)
    return document
