"""Device counts per (platform, status, location, retired), kept exact by triggers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY_OLD = (
    "platform = OLD.platform AND status = OLD.status AND location = COALESCE(OLD.location, '')"
    " AND retired = (OLD.decommissioned_at IS NOT NULL)"
)
INSERT_NEW = (
    "INSERT INTO device_counts (platform, status, location, retired, n) VALUES"
    " (NEW.platform, NEW.status, COALESCE(NEW.location, ''), NEW.decommissioned_at IS NOT NULL, 1)"
    " ON CONFLICT (platform, status, location, retired) DO UPDATE SET n = device_counts.n + 1"
)
DECREMENT_OLD = f"UPDATE device_counts SET n = n - 1 WHERE {KEY_OLD}"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER trg_devices_count_insert AFTER INSERT ON edge_devices BEGIN {INSERT_NEW}; END",
    f"CREATE TRIGGER trg_devices_count_delete AFTER DELETE ON edge_devices BEGIN {DECREMENT_OLD}; END",
    "CREATE TRIGGER trg_devices_count_update AFTER UPDATE OF platform, status, location, decommissioned_at"
    " ON edge_devices WHEN OLD.platform IS NOT NEW.platform OR OLD.status IS NOT NEW.status"
    " OR OLD.location IS NOT NEW.location OR (OLD.decommissioned_at IS NULL) <> (NEW.decommissioned_at IS NULL)"
    f" BEGIN {DECREMENT_OLD}; {INSERT_NEW}; END",
]

POSTGRES_FUNCTION = f"""
CREATE FUNCTION edge_devices_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {DECREMENT_OLD};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {INSERT_NEW};
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER trg_edge_devices_count AFTER INSERT OR DELETE"
    " OR UPDATE OF platform, status, location, decommissioned_at ON edge_devices"
    " FOR EACH ROW EXECUTE FUNCTION edge_devices_count()"
)


def upgrade() -> None:
    op.create_table(
        "device_counts",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(32), primary_key=True),
        sa.Column("location", sa.String(255), primary_key=True),
        sa.Column("retired", sa.Boolean, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # Devices that existed before this migration.
    op.execute(
        "INSERT INTO device_counts (platform, status, location, retired, n)"
        " SELECT platform, status, COALESCE(location, ''), decommissioned_at IS NOT NULL, COUNT(*)"
        " FROM edge_devices GROUP BY platform, status, COALESCE(location, ''), decommissioned_at IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER trg_edge_devices_count ON edge_devices")
        op.execute("DROP FUNCTION edge_devices_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER trg_devices_count_{name}")
    op.drop_table("device_counts")
