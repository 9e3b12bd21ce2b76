"""Alerts a rollout raises: the rollout aborted (on the device whose failure tipped it), and a device
that installed the update but then failed attestation against the new firmware's policy."""

from __future__ import annotations

from domain.alert_rules import RuleName, RuleSet
from domain.alerts import Finding
from domain.events import RolloutChanged


def judge_rollout(rules: RuleSet, event: RolloutChanged) -> list[Finding]:
    subject = f"rollout-{event.rollout_id}"
    if event.change == "aborted" and event.device_id:
        rule = rules.event(RuleName.ROLLOUT_ABORTED)
        message = f"Rollout {event.rollout_id} of firmware {event.firmware_version} aborted: {event.reason}"
        return (
            [Finding(RuleName.ROLLOUT_ABORTED, rule.severity, message, subject=subject)]
            if rule.enabled
            else []
        )
    if event.change == "device" and event.device_state == "failed" and event.reason == "attestation_failed":
        rule = rules.event(RuleName.UPDATE_ATTESTATION)
        message = f"Failed attestation after updating to firmware {event.firmware_version} (rollout {event.rollout_id})"
        return (
            [Finding(RuleName.UPDATE_ATTESTATION, rule.severity, message, subject=subject)]
            if rule.enabled
            else []
        )
    return []
