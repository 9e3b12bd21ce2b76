"""Attestation: verdict details on device_attestations, enrolled AKs, nonces, reference policies.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VERDICT_COLUMNS = [
    ("reasons", sa.JSON),
    ("pcr_values", sa.JSON),
    ("mismatched_pcrs", sa.JSON),
    ("bank", sa.Integer),
    ("clock", sa.BigInteger),
    ("reset_count", sa.BigInteger),
    ("restart_count", sa.BigInteger),
    ("clock_safe", sa.Boolean),
    ("tpm_firmware_version", sa.String(24)),
    ("reboot_observed", sa.Boolean),
    ("verifier", sa.String(16)),
]


def upgrade() -> None:
    with op.batch_alter_table("device_attestations") as batch:
        for name, type_ in VERDICT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    op.create_table(
        "attestation_keys",
        sa.Column("device_id", sa.String(64), sa.ForeignKey("edge_devices.id"), primary_key=True),
        sa.Column("key_type", sa.String(8), nullable=False),
        sa.Column("scheme", sa.Integer),
        sa.Column("hash_alg", sa.Integer, nullable=False),
        sa.Column("spki_der", sa.LargeBinary, nullable=False),
        sa.Column("name", sa.LargeBinary, nullable=False),
        sa.Column("ak_public", sa.LargeBinary, nullable=False),
        sa.Column("ek_public", sa.LargeBinary, nullable=False),
        sa.Column("ek_certificate", sa.LargeBinary),
        sa.Column("activated", sa.Boolean, nullable=False),
        sa.Column("challenge_digest", sa.LargeBinary),
        sa.Column("challenge_expires_at", UtcDateTime),
        sa.Column("enrolled_at", UtcDateTime),
        sa.Column("activated_at", UtcDateTime),
    )
    op.create_table(
        "attestation_nonces",
        sa.Column("value", sa.String(128), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
    )
    op.create_index("idx_nonces_expires_at", "attestation_nonces", ["expires_at"])
    op.create_table(
        "reference_policies",
        sa.Column("scope_key", sa.String(600), primary_key=True),
        sa.Column("device_id", sa.String(64)),
        sa.Column("model", sa.String(255)),
        sa.Column("firmware_version", sa.String(255)),
        sa.Column("bank", sa.Integer, nullable=False),
        sa.Column("pcrs", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime),
    )


def downgrade() -> None:
    op.drop_table("reference_policies")
    op.drop_index("idx_nonces_expires_at", "attestation_nonces")
    op.drop_table("attestation_nonces")
    op.drop_table("attestation_keys")
    with op.batch_alter_table("device_attestations") as batch:
        for name, _ in VERDICT_COLUMNS:
            batch.drop_column(name)
