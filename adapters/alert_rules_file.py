"""The optional alert rules file (EDGEFLEET_ALERT_RULES): a rules document laid over the domain defaults.

Read once at start-up; a file that cannot be read or says something wrong stops the process with the
reason, rather than running with thresholds nobody chose.
"""

from __future__ import annotations

import json
from pathlib import Path

from domain.alert_rule_document import merge_rules
from domain.alert_rules import RuleSet
from domain.errors import ValidationFailed


def load_alert_rules(path: str | Path | None) -> RuleSet:
    if not path:
        return RuleSet.defaults()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"EDGEFLEET_ALERT_RULES: cannot read {path}: {exc}") from exc
    try:
        return merge_rules(RuleSet.defaults(), document)
    except ValidationFailed as exc:
        raise SystemExit(f"EDGEFLEET_ALERT_RULES ({path}): {exc.message}") from exc
