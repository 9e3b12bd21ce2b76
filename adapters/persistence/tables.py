"""Table definitions: the API contract's four tables plus the columns later features add.

Kept in step with the Alembic migrations (tests/integration/test_migrations.py compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from adapters.persistence.metadata import BigId, metadata
from adapters.persistence.types import StrEnumType, UtcDateTime
from domain.commands import CommandName, CommandStatus
from domain.devices import AttestationState, DeviceStatus, Platform

edge_devices = Table(
    "edge_devices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("platform", StrEnumType(Platform), nullable=False),
    Column("location", String(255)),
    Column("model", String(255)),
    Column("cores", Integer),
    Column("memory_gb", Integer),
    Column("firmware_version", String(255)),
    Column("tee_enabled", Boolean, nullable=False, default=False),
    Column("tpm_enabled", Boolean, nullable=False, default=False),
    Column("status", StrEnumType(DeviceStatus), nullable=False, default=DeviceStatus.UNKNOWN),
    Column("last_heartbeat", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("cpu_usage", Float),
    Column("memory_usage", Float),
    Column("temperature", Float),
    Column("uptime_seconds", BigInteger),
    Column(
        "attestation_status", StrEnumType(AttestationState), nullable=False, default=AttestationState.UNKNOWN
    ),
    Column("decommissioned_at", UtcDateTime),
    Column("tee_type", String(64)),  # migration 0015: reported by the agent
    Column("capabilities", JSON),  # migration 0015: NPU ids, driver version ... as the agent reports them
    Index("idx_platform", "platform", "id"),
    Index("idx_status", "status", "id"),
    Index("idx_location", "location", "id"),
)

enrollment_tokens = Table(
    "enrollment_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("device_id", String(64)),
    Column("used_at", UtcDateTime),
    Column("used_by_device", String(64)),
)

device_credentials = Table(
    "device_credentials",
    metadata,
    Column("device_id", String(64), ForeignKey("edge_devices.id"), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("outcome", Integer, nullable=False),
    Column("device_id", String(64)),
    Column("target", JSON),
    Column("parameters", JSON),
    Column("client_address", String(64)),
    Column("request_id", String(64)),
    Index("idx_audit_at", "at"),
    Index("idx_audit_actor_at", "actor", "at"),
    Index("idx_audit_device_at", "device_id", "at"),
    Index("idx_audit_action_at", "action", "at"),
)

# Maintained by database triggers (migration 0002) so counting any filter is a sum over a few rows,
# never a scan of the fleet. NULL location is stored as '' (an empty location is not accepted).
device_counts = Table(
    "device_counts",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("status", String(32), primary_key=True),
    Column("location", String(255), primary_key=True),
    Column("retired", Boolean, primary_key=True),
    Column("n", Integer, nullable=False),
)

device_metrics = Table(
    "device_metrics",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("cpu_usage", Float),
    Column("memory_usage", Float),
    Column("temperature", Float),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("status", StrEnumType(DeviceStatus)),
    Column("uptime_seconds", BigInteger),
    Column("ai_core_usage", Float),
    Column("npu_memory_used_mb", Float),
    Column("power_w", Float),
    Index("idx_device_id_timestamp", "device_id", "timestamp"),
    Index("idx_timestamp", "timestamp"),
)

device_attestations = Table(
    "device_attestations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("tpm_version", String(32)),
    Column("pcr_hash", String(512)),
    Column("attestation_status", String(32)),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("reasons", JSON),
    Column("pcr_values", JSON),
    Column("mismatched_pcrs", JSON),
    Column("bank", Integer),
    Column("clock", BigInteger),
    Column("reset_count", BigInteger),
    Column("restart_count", BigInteger),
    Column("clock_safe", Boolean),
    Column("tpm_firmware_version", String(24)),
    Column("reboot_observed", Boolean),
    Column("verifier", String(16)),
    Column("tpm_latency_seconds", Float),  # migration 0015: challenge issued -> verdict
    Column("failed_events", JSON),  # measured boot (migration 0020)
    Column("event_log_error", String(255)),
    Index("idx_attestations_device_id_timestamp", "device_id", "timestamp"),
    Index("idx_attestations_status", "attestation_status"),
)

attestation_keys = Table(
    "attestation_keys",
    metadata,
    Column("device_id", String(64), ForeignKey("edge_devices.id"), primary_key=True),
    Column("key_type", String(8), nullable=False),
    Column("scheme", Integer),
    Column("hash_alg", Integer, nullable=False),
    Column("spki_der", LargeBinary, nullable=False),
    Column("name", LargeBinary, nullable=False),
    Column("ak_public", LargeBinary, nullable=False),
    Column("ek_public", LargeBinary, nullable=False),
    Column("ek_certificate", LargeBinary),
    Column("activated", Boolean, nullable=False),
    Column("challenge_digest", LargeBinary),
    Column("challenge_expires_at", UtcDateTime),
    Column("enrolled_at", UtcDateTime),
    Column("activated_at", UtcDateTime),
)

attestation_nonces = Table(
    "attestation_nonces",
    metadata,
    Column("value", String(128), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Index("idx_nonces_expires_at", "expires_at"),
)

reference_policies = Table(
    "reference_policies",
    metadata,
    Column("scope_key", String(600), primary_key=True),
    Column("device_id", String(64)),
    Column("model", String(255)),
    Column("firmware_version", String(255)),
    Column("bank", Integer, nullable=False),
    Column("pcrs", JSON, nullable=False),
    Column("updated_at", UtcDateTime),
)

device_commands = Table(
    "device_commands",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("command", StrEnumType(CommandName, 255), nullable=False),
    Column("parameters", JSON),
    Column("status", StrEnumType(CommandStatus)),
    Column("result", JSON),
    Column("executed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("requested_by", String(255)),
    Column("idempotency_key", String(128)),
    Column("deadline", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("started_at", UtcDateTime),
    Column("version", Integer, nullable=False, default=1),
    Index("idx_commands_device_id_status", "device_id", "status"),
    Index("idx_commands_created_at", "created_at"),
    Index("uq_commands_idempotency_key", "device_id", "idempotency_key", unique=True),
    Index("idx_commands_status_deadline", "status", "deadline"),
)


# Periods a device was reachable (online or degraded); ended_at is NULL while it still is (migration 0015).
device_online_spans = Table(
    "device_online_spans",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("edge_devices.id"), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Index("idx_online_spans_device_ended", "device_id", "ended_at"),
    Index("idx_online_spans_ended", "ended_at"),
)
