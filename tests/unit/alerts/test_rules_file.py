"""The rules file: laid over the defaults, or the process stops saying why."""

from __future__ import annotations

import json

import pytest

from adapters.alert_rules_file import load_alert_rules
from domain.alert_rules import RuleName, RuleSet


def test_without_a_file_the_defaults_apply():
    assert load_alert_rules(None) == RuleSet.defaults()


def test_a_file_changes_what_it_names(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps({"thresholds": {"hisilicon": {"temperature_high": {"warning": 70, "critical": 80}}}})
    )
    rules = load_alert_rules(path)
    assert rules.threshold("hisilicon", RuleName.TEMPERATURE).warning == 70
    assert rules.threshold("atlas", RuleName.TEMPERATURE).warning == 85


@pytest.mark.parametrize(
    "content,reason",
    [
        (None, "cannot read"),
        ("{not json", "cannot read"),
        ('{"thresholds": {"atlas": {"cpu_high": {"warning": 101}}}}', "warning must be"),
    ],
)
def test_an_unreadable_or_wrong_file_stops_the_process_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "rules.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit, match=reason):
        load_alert_rules(path)
