"""Metric rollup tables (migration 0009), on the shared metadata.

One row per device and bucket (1 minute or 1 hour): sample count, min/max/avg of the percentages and
the temperature, avg of the platform extras, max uptime. No foreign key to the device: the rows are
derived from device_metrics, which already enforces it, and the rollup writes stay cheap.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table

from adapters.persistence.metadata import metadata
from adapters.persistence.types import UtcDateTime
from domain.metrics_history import AVERAGED, RANGED, Resolution


def _rollup_table(name: str) -> Table:
    ranged = [Column(f"{m}_{agg}", Float) for m in RANGED for agg in ("min", "max", "avg")]
    return Table(
        name,
        metadata,
        Column("device_id", String(64), primary_key=True),
        Column("bucket", UtcDateTime, primary_key=True),
        Column("samples", Integer, nullable=False),
        *ranged,
        *[Column(f"{m}_avg", Float) for m in AVERAGED],
        Column("uptime_seconds_max", BigInteger),
        # Retention deletes by bucket across all devices.
        Index(f"idx_{name}_bucket", "bucket"),
        # On SQLite the rows are stored in key order, so one device's history is a contiguous read.
        sqlite_with_rowid=False,
    )


device_metrics_1m = _rollup_table("device_metrics_1m")
device_metrics_1h = _rollup_table("device_metrics_1h")
ROLLUP_TABLES = {Resolution.MINUTE: device_metrics_1m, Resolution.HOUR: device_metrics_1h}

# "1m", "1h": buckets before ``upto`` are computed. "late": a sample older than this arrives after
# its buckets were computed, so an insert trigger records its hour in rollup_dirty (migration 0009).
# "purged": raw samples before it may be gone, so their buckets are never recomputed.
rollup_watermarks = Table(
    "rollup_watermarks",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("upto", UtcDateTime, nullable=False),
)

# Hours of a device that received late samples (an agent replaying after an outage): recomputed next round.
rollup_dirty = Table(
    "rollup_dirty",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("hour", UtcDateTime, primary_key=True),
)
