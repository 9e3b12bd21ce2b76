"""Metric history at three resolutions: raw samples, 1-minute and 1-hour rollups (min/max/avg).

Raw samples are kept for the configured retention only; rollups are kept longer, so a long window is
answered from a rollup table that holds a few hundred rows instead of tens of thousands of samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.devices import DeviceStatus, MetricSample

MINUTE_ROLLUP_RETENTION = timedelta(days=30)
HOUR_ROLLUP_RETENTION = timedelta(days=400)  # a year and a month: year-over-year comparisons
# "auto" picks the finest resolution whose page of 1000 points still spans a useful part of the window.
AUTO_RAW_MAX_SPAN = timedelta(hours=6)
AUTO_MINUTE_MAX_SPAN = timedelta(days=7)

RANGED = ("cpu_usage", "memory_usage", "temperature")  # min, max and avg kept
AVERAGED = ("ai_core_usage", "npu_memory_used_mb", "power_w")  # avg kept


class Resolution(StrEnum):
    AUTO = "auto"
    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"

    @property
    def width(self) -> timedelta:
        return {Resolution.MINUTE: timedelta(minutes=1), Resolution.HOUR: timedelta(hours=1)}[self]


@dataclass(frozen=True)
class MetricPoint:
    """A raw sample, or a rollup bucket (timestamp = bucket start, values = averages, status None)."""

    timestamp: datetime
    cpu_usage: float | None = None
    memory_usage: float | None = None
    temperature: float | None = None
    status: DeviceStatus | None = None
    uptime_seconds: int | None = None
    ai_core_usage: float | None = None
    npu_memory_used_mb: float | None = None
    power_w: float | None = None
    samples: int | None = None  # rollups only: raw samples in the bucket
    cpu_usage_min: float | None = None
    cpu_usage_max: float | None = None
    memory_usage_min: float | None = None
    memory_usage_max: float | None = None
    temperature_min: float | None = None
    temperature_max: float | None = None

    @classmethod
    def of_sample(cls, s: MetricSample) -> MetricPoint:
        return cls(
            s.timestamp,
            s.cpu_usage,
            s.memory_usage,
            s.temperature,
            s.status,
            s.uptime_seconds,
            s.ai_core_usage,
            s.npu_memory_used_mb,
            s.power_w,
        )


def choose_resolution(
    requested: Resolution,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    raw_retention: timedelta,
) -> Resolution:
    """What "auto" means. Without a start the newest raw samples are returned (the API contract's behaviour).
    Otherwise the span (start to end, or to now) picks: <= 6 h raw, <= 7 days 1m, longer 1h; and a
    start older than what a table keeps moves on to the next coarser table."""
    if requested is not Resolution.AUTO:
        return requested
    if start is None:
        return Resolution.RAW
    span = (end or now) - start
    if span <= AUTO_RAW_MAX_SPAN and start >= now - raw_retention:
        return Resolution.RAW
    if span <= AUTO_MINUTE_MAX_SPAN and start >= now - MINUTE_ROLLUP_RETENTION:
        return Resolution.MINUTE
    return Resolution.HOUR


def bucket_start(moment: datetime, width: timedelta) -> datetime:
    """Floor to the bucket (UTC, whole minutes or hours since the epoch)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return moment - (moment - epoch) % width


def aggregate(samples: Iterable[MetricSample], resolution: Resolution) -> list[MetricPoint]:
    """Rollup points of one device's samples, newest first: the reference the SQL rollups must match
    (missing values are left out of min/max/avg, as SQL aggregates do)."""
    buckets: dict[datetime, list[MetricSample]] = defaultdict(list)
    for s in samples:
        buckets[bucket_start(s.timestamp, resolution.width)].append(s)
    return [_point(start, buckets[start]) for start in sorted(buckets, reverse=True)]


def _point(start: datetime, group: list[MetricSample]) -> MetricPoint:
    def present(name: str) -> list[float]:
        return [v for v in (getattr(s, name) for s in group) if v is not None]

    def avg(name: str) -> float | None:
        values = present(name)
        return sum(values) / len(values) if values else None

    extremes: dict[str, Any] = {
        f"{name}_{fn.__name__}": (fn(present(name)) if present(name) else None)
        for name in RANGED
        for fn in (min, max)
    }
    averages: dict[str, Any] = {name: avg(name) for name in RANGED + AVERAGED}
    uptimes = [s.uptime_seconds for s in group if s.uptime_seconds is not None]
    return MetricPoint(
        timestamp=start,
        **averages,
        uptime_seconds=max(uptimes) if uptimes else None,
        samples=len(group),
        **extremes,
    )
