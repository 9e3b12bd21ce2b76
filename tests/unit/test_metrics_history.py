"""Choosing a history resolution and the reference aggregation (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.devices import MetricSample
from domain.metrics_history import Resolution, aggregate, bucket_start, choose_resolution

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (None, None, Resolution.RAW),  # the API contract's behaviour: newest samples first
        (NOW - timedelta(hours=6), None, Resolution.RAW),
        (NOW - timedelta(hours=6, seconds=1), None, Resolution.MINUTE),
        (NOW - timedelta(days=7), NOW, Resolution.MINUTE),
        (NOW - timedelta(days=8), NOW, Resolution.HOUR),
        (
            NOW - timedelta(days=10),
            NOW - timedelta(days=10) + timedelta(hours=1),
            Resolution.MINUTE,
        ),  # raw is gone
        (
            NOW - timedelta(days=40),
            NOW - timedelta(days=40) + timedelta(hours=1),
            Resolution.HOUR,
        ),  # 1m is gone
    ],
)
def test_auto_picks_the_finest_resolution_that_still_holds_the_window(start, end, expected):
    assert choose_resolution(Resolution.AUTO, start, end, NOW, WEEK) is expected


def test_an_explicit_resolution_is_kept_whatever_the_window():
    assert choose_resolution(Resolution.RAW, NOW - timedelta(days=90), None, NOW, WEEK) is Resolution.RAW


def test_buckets_start_on_whole_utc_minutes_and_hours():
    moment = datetime(2026, 1, 15, 10, 31, 59, 999999, tzinfo=UTC)
    assert bucket_start(moment, Resolution.MINUTE.width) == datetime(2026, 1, 15, 10, 31, tzinfo=UTC)
    assert bucket_start(moment, Resolution.HOUR.width) == datetime(2026, 1, 15, 10, tzinfo=UTC)


def test_aggregation_leaves_missing_values_out_and_counts_every_sample():
    samples = [
        MetricSample("d", NOW + timedelta(seconds=s), cpu_usage=cpu, uptime_seconds=up)
        for s, cpu, up in ((1, 10.0, 5), (20, None, 25), (40, 30.0, None), (70, 50.0, 70))
    ]
    newest, oldest = aggregate(samples, Resolution.MINUTE)
    assert newest.timestamp == NOW + timedelta(minutes=1) and newest.samples == 1
    assert (oldest.samples, oldest.cpu_usage, oldest.cpu_usage_min, oldest.cpu_usage_max) == (
        3,
        20.0,
        10.0,
        30.0,
    )
    assert oldest.uptime_seconds == 25 and oldest.temperature is None and oldest.status is None
