"""EDGEFLEET_METRICS_RETENTION: a count and a unit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entrypoints.settings import Settings


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, timedelta(days=7)),
        ("", timedelta(days=7)),
        ("7d", timedelta(days=7)),
        ("36h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        (" 10D ", timedelta(days=10)),
    ],
)
def test_retention_is_read_as_a_count_and_a_unit(raw, expected):
    env = {} if raw is None else {"EDGEFLEET_METRICS_RETENTION": raw}
    assert Settings.from_env(env).metrics_retention == expected


@pytest.mark.parametrize("raw", ["7", "0d", "-1d", "1.5d", "7 days", "d"])
def test_a_retention_without_a_unit_or_not_positive_stops_the_start(raw):
    with pytest.raises(SystemExit, match="EDGEFLEET_METRICS_RETENTION"):
        Settings.from_env({"EDGEFLEET_METRICS_RETENTION": raw})
