"""Metrics retention: 1-minute and 1-hour rollup tables, their watermarks, a trigger recording the
hours that receive late samples, and on PostgreSQL device_metrics partitioned by day (retention
drops whole partitions instead of deleting rows).

PostgreSQL partitions live in schema ``device_metrics_parts``: ``device_metrics_pYYYYMMDD`` for each
UTC day plus ``device_metrics_default`` for rows outside them. The maintenance job creates days
ahead (adapters/persistence/partitions.py); here the days around the migration are created.

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PARTS = "device_metrics_parts"
METRIC_COLUMNS = (
    "id, device_id, cpu_usage, memory_usage, temperature, timestamp, status, uptime_seconds, "
    "ai_core_usage, npu_memory_used_mb, power_w"
)
COLUMN_DDL = """
    device_id VARCHAR(64) NOT NULL REFERENCES edge_devices (id),
    cpu_usage FLOAT, memory_usage FLOAT, temperature FLOAT,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status VARCHAR(32), uptime_seconds BIGINT,
    ai_core_usage FLOAT, npu_memory_used_mb FLOAT, power_w FLOAT"""
ROLLUPS = ("device_metrics_1m", "device_metrics_1h")
INSERT_LOCK = 0x6564_6766_6C61_7465  # adapters/persistence/rollups.py takes it exclusively for a round
SQLITE_LATE_TRIGGER = """
CREATE TRIGGER trg_device_metrics_late AFTER INSERT ON device_metrics
WHEN NEW.timestamp < (SELECT upto FROM rollup_watermarks WHERE name = 'late')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (device_id, hour)
    VALUES (NEW.device_id, substr(NEW.timestamp, 1, 13) || ':00:00.000000');
END"""
# The shared lock: a rollup round holds it exclusively, so no sample commits unseen while a round reads.
PG_LATE_FUNCTION = f"""
CREATE FUNCTION device_metrics_mark_late() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({INSERT_LOCK});
    IF NEW.timestamp < (SELECT upto FROM rollup_watermarks WHERE name = 'late') THEN
        INSERT INTO rollup_dirty (device_id, hour)
        VALUES (NEW.device_id, date_trunc('hour', NEW.timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    for name in ROLLUPS:
        op.create_table(
            name,
            sa.Column("device_id", sa.String(64), primary_key=True),
            sa.Column("bucket", UtcDateTime, primary_key=True),
            sa.Column("samples", sa.Integer, nullable=False),
            *[
                sa.Column(f"{m}_{agg}", sa.Float)
                for m in ("cpu_usage", "memory_usage", "temperature")
                for agg in ("min", "max", "avg")
            ],
            *[sa.Column(f"{m}_avg", sa.Float) for m in ("ai_core_usage", "npu_memory_used_mb", "power_w")],
            sa.Column("uptime_seconds_max", sa.BigInteger),
            sqlite_with_rowid=False,
        )
        op.create_index(f"idx_{name}_bucket", name, ["bucket"])
    op.create_table(
        "rollup_watermarks",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("upto", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rollup_dirty",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("hour", UtcDateTime, primary_key=True),
    )
    if _pg():
        _partition_metrics()
        op.execute(PG_LATE_FUNCTION)
        op.execute(
            "CREATE TRIGGER trg_device_metrics_late AFTER INSERT ON device_metrics "
            "FOR EACH ROW EXECUTE FUNCTION device_metrics_mark_late()"
        )
    else:
        op.execute(SQLITE_LATE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER trg_device_metrics_late" + (" ON device_metrics" if _pg() else ""))
    if _pg():
        op.execute("DROP FUNCTION device_metrics_mark_late()")
        _unpartition_metrics()
    op.drop_table("rollup_dirty")
    op.drop_table("rollup_watermarks")
    for name in ROLLUPS:
        op.drop_index(f"idx_{name}_bucket", name)
        op.drop_table(name)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _partition_metrics() -> None:
    # The primary key of a partitioned table must contain the partition key: (id, timestamp). The id
    # stays unique through its sequence, which moves to the new table before the old one is dropped.
    op.execute("ALTER TABLE device_metrics RENAME TO device_metrics_unpartitioned")
    op.execute("ALTER TABLE device_metrics_unpartitioned DROP CONSTRAINT device_metrics_pkey")
    op.execute("ALTER TABLE device_metrics_unpartitioned DROP CONSTRAINT device_metrics_device_id_fkey")
    op.execute("DROP INDEX idx_device_id_timestamp")
    op.execute("DROP INDEX idx_timestamp")
    op.execute(
        "CREATE TABLE device_metrics (id BIGINT NOT NULL DEFAULT nextval('device_metrics_id_seq'), "
        f"{COLUMN_DDL}, PRIMARY KEY (id, timestamp)) PARTITION BY RANGE (timestamp)"
    )
    op.execute("ALTER SEQUENCE device_metrics_id_seq OWNED BY device_metrics.id")
    op.execute("CREATE INDEX idx_device_id_timestamp ON device_metrics (device_id, timestamp)")
    op.execute("CREATE INDEX idx_timestamp ON device_metrics (timestamp)")
    op.execute(f"CREATE SCHEMA {PARTS}")
    op.execute(f"CREATE TABLE {PARTS}.device_metrics_default PARTITION OF device_metrics DEFAULT")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(-8, 4):  # a week and a day back (default retention), three days ahead
        lo, hi = today + timedelta(days=offset), today + timedelta(days=offset + 1)
        op.execute(
            f"CREATE TABLE {PARTS}.device_metrics_p{lo:%Y%m%d} PARTITION OF device_metrics "
            f"FOR VALUES FROM ('{lo:%Y-%m-%d} 00:00:00+00') TO ('{hi:%Y-%m-%d} 00:00:00+00')"
        )
    op.execute(
        f"INSERT INTO device_metrics ({METRIC_COLUMNS}) "
        f"SELECT {METRIC_COLUMNS} FROM device_metrics_unpartitioned"
    )
    op.execute("DROP TABLE device_metrics_unpartitioned")


def _unpartition_metrics() -> None:
    op.execute("ALTER TABLE device_metrics RENAME TO device_metrics_partitioned")
    op.execute("ALTER TABLE device_metrics_partitioned DROP CONSTRAINT device_metrics_pkey")
    op.execute("ALTER TABLE device_metrics_partitioned DROP CONSTRAINT device_metrics_device_id_fkey")
    op.execute("DROP INDEX idx_device_id_timestamp")
    op.execute("DROP INDEX idx_timestamp")
    op.execute(
        "CREATE TABLE device_metrics (id BIGINT NOT NULL DEFAULT nextval('device_metrics_id_seq') PRIMARY KEY, "
        f"{COLUMN_DDL})"
    )
    op.execute("ALTER SEQUENCE device_metrics_id_seq OWNED BY device_metrics.id")
    op.execute(
        f"INSERT INTO device_metrics ({METRIC_COLUMNS}) "
        f"SELECT {METRIC_COLUMNS} FROM device_metrics_partitioned"
    )
    op.execute("DROP TABLE device_metrics_partitioned")  # and every partition with it
    op.execute(f"DROP SCHEMA {PARTS}")
    op.execute("CREATE INDEX idx_device_id_timestamp ON device_metrics (device_id, timestamp)")
    op.execute("CREATE INDEX idx_timestamp ON device_metrics (timestamp)")
