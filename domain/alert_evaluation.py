"""Pure rule evaluation: events and breach state in, findings and new breach state out. No clock, no I/O.

Durations are measured on the samples' own timestamps (the device's clock), so "above 90 % for 5
minutes" means five minutes of measurements whatever the delivery delays were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.alert_rules import METRICS, EventRule, RuleName, RuleSet, Severity, Threshold
from domain.alerts import Finding
from domain.devices import DeviceStatus, MetricSample
from domain.events import AttestationRecorded, CommandChanged, DeviceStatusChanged

COMMAND_FAILURES = frozenset({"failed", "rejected", "timed_out"})
_LABELS = {
    RuleName.CPU: ("CPU usage", "%"),
    RuleName.MEMORY: ("Memory usage", "%"),
    RuleName.TEMPERATURE: ("Temperature", " °C"),
}


@dataclass(frozen=True)
class Breach:
    """Since when a device's value has been above a rule's warning (and critical) limit."""

    warning_since: datetime
    critical_since: datetime | None = None


def _duration(seconds: int) -> str:
    return (
        f" for {seconds // 60} min"
        if seconds >= 60 and seconds % 60 == 0
        else (f" for {seconds} s" if seconds else "")
    )


def judge_metric(
    rule: RuleName, threshold: Threshold, value: float | None, breach: Breach | None, at: datetime
) -> tuple[Breach | None, Finding | None]:
    """The breach as it stands after ``value`` measured ``at``, and what alerts should do (None: nothing)."""
    if value is None:
        return breach, None  # not measured: neither breaching nor clear
    if not threshold.enabled or value <= threshold.warning:
        return None, Finding(rule, None)
    above_critical = threshold.critical is not None and value > threshold.critical
    breach = Breach(
        breach.warning_since if breach else at,
        ((breach and breach.critical_since) or at) if above_critical else None,
    )

    def held(since: datetime | None) -> bool:
        return since is not None and (at - since).total_seconds() >= threshold.for_seconds

    if held(breach.critical_since):
        severity, limit, word = Severity.CRITICAL, threshold.critical, "critical"
    elif held(breach.warning_since):
        severity, limit, word = Severity.WARNING, threshold.warning, "warning"
    else:
        return breach, None  # breaching, not yet for long enough
    label, unit = _LABELS[rule]
    lasting = _duration(threshold.for_seconds)
    message = f"{label} {value:g}{unit} above the {word} limit {limit:g}{unit}{lasting}"
    return breach, Finding(rule, severity, message, value, limit)


def judge_sample(
    rules: RuleSet, platform: str, sample: MetricSample, breaches: dict[RuleName, Breach]
) -> tuple[list[Finding], dict[RuleName, Breach | None]]:
    """Every threshold rule against one sample: findings and each rule's breach afterwards."""
    findings, after = [], {}
    for rule, name in METRICS.items():
        after[rule], finding = judge_metric(
            rule, rules.threshold(platform, rule), getattr(sample, name), breaches.get(rule), sample.timestamp
        )
        if finding is not None:
            findings.append(finding)
    return findings, after


def _event(rule: EventRule, name: RuleName, failed: bool, message: str, subject: str = "") -> Finding:
    if failed and rule.enabled:
        return Finding(name, rule.severity, message, subject=subject)
    return Finding(name, None, subject=subject)


def judge_status(rules: RuleSet, event: DeviceStatusChanged) -> list[Finding]:
    if event.new == DeviceStatus.UNKNOWN:
        return []
    offline = event.new == DeviceStatus.OFFLINE
    message = "Device offline: heartbeats stopped"
    return [_event(rules.event(RuleName.OFFLINE), RuleName.OFFLINE, offline, message)]


def judge_attestation(rules: RuleSet, event: AttestationRecorded) -> list[Finding]:
    failed = event.status != "success"
    reasons = "; ".join(event.reasons) or "no reason given"
    message = f"Attestation failed: {reasons}"
    return [_event(rules.event(RuleName.ATTESTATION), RuleName.ATTESTATION, failed, message)]


def judge_command(rules: RuleSet, event: CommandChanged) -> list[Finding]:
    """Failures raise per command kind; the next success of that kind resolves. Other states say nothing."""
    if event.status not in COMMAND_FAILURES and event.status != "succeeded":
        return []
    detail = f": {event.message}" if event.message else ""
    message = f"Command {event.command} (#{event.command_id}) {event.status.replace('_', ' ')}{detail}"
    return [
        _event(
            rules.event(RuleName.COMMAND),
            RuleName.COMMAND,
            event.status in COMMAND_FAILURES,
            message,
            subject=event.command,
        )
    ]


def offline_escalation(rule: EventRule, started_at: datetime, now: datetime) -> Finding | None:
    """A device offline for longer than the rule allows becomes critical (checked periodically)."""
    if not rule.enabled or rule.escalate_after_seconds is None:
        return None
    if (now - started_at).total_seconds() < rule.escalate_after_seconds:
        return None
    message = f"Device offline{_duration(rule.escalate_after_seconds)} or more"
    return Finding(RuleName.OFFLINE, Severity.CRITICAL, message)
