"""Settings read from EDGEFLEET_* environment variables (documented in the README)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.persistence.engine import sqlite_url


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _bounded(env: dict, name: str, default: int, low: int, high: int) -> int:
    value = _int(env, name, default)
    if not low <= value <= high:
        raise SystemExit(f"{name} must be between {low} and {high}, got {value}")
    return value


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _duration(env: dict, name: str, default: timedelta) -> timedelta:
    """A count and a unit: 90m, 36h, 7d, 2w."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    match = _DURATION.fullmatch(raw)
    if match is None or int(match.group(1)) == 0:
        raise SystemExit(f"{name} must be a positive duration such as 90m, 36h, 7d or 2w, got {raw!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    db_connect_timeout_seconds: int = 2
    db_command_timeout_seconds: int = 30
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_private_key: str | None = None
    jwt_leeway_seconds: int = 5
    max_body_bytes: int = 1024 * 1024
    header_timeout_seconds: int = 10
    idle_timeout_seconds: int = 5
    max_connections: int = 4096
    cors_origins: tuple[str, ...] = ()
    nonce_ttl_seconds: int = 60
    attestation_max_age_seconds: int = 86400
    heartbeat_interval_seconds: int = 30
    list_cache_ttl_seconds: int = 30
    detail_cache_ttl_seconds: int = 60
    credential_cache_ttl_seconds: int = 600
    verifier: str = "auto"
    ek_ca_bundle: str | None = None
    attestation_answer_timeout_seconds: int = 30
    rate_limit_agent_per_minute: int = 600
    rate_limit_enrol_per_minute: int = 120
    attestation_interval_seconds: int = 300
    alert_rules_file: str | None = None
    redis_url: str | None = None
    metrics_retention: timedelta = timedelta(days=7)
    login_token_ttl: timedelta = timedelta(minutes=30)
    workers: int = 1
    rollout_signing_key: str | None = None  # Ed25519 private key (PEM text or path) signing artifacts
    rollout_step_seconds: int = 5  # how often the rollout scheduler takes a step
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("EDGEFLEET_VAR_DIR") or "var").resolve()
        origins = tuple(o.strip() for o in env.get("EDGEFLEET_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            var_dir=var_dir,
            database_url=env.get("EDGEFLEET_DATABASE_URL") or sqlite_url(var_dir / "edgefleet.db"),
            db_connect_timeout_seconds=_bounded(env, "EDGEFLEET_DB_CONNECT_TIMEOUT", 2, 1, 60),
            db_command_timeout_seconds=_bounded(env, "EDGEFLEET_DB_COMMAND_TIMEOUT", 30, 1, 3600),
            jwt_secret=env.get("EDGEFLEET_JWT_SECRET") or None,
            jwt_public_key=env.get("EDGEFLEET_JWT_PUBLIC_KEY") or None,
            jwt_private_key=env.get("EDGEFLEET_JWT_PRIVATE_KEY") or None,
            jwt_leeway_seconds=_bounded(env, "EDGEFLEET_JWT_LEEWAY", 5, 0, 300),
            max_body_bytes=_int(env, "EDGEFLEET_MAX_BODY_BYTES", 1024 * 1024),
            header_timeout_seconds=_bounded(env, "EDGEFLEET_HEADER_TIMEOUT", 10, 1, 300),
            idle_timeout_seconds=_bounded(env, "EDGEFLEET_IDLE_TIMEOUT", 5, 1, 300),
            max_connections=_bounded(env, "EDGEFLEET_MAX_CONNECTIONS", 4096, 1, 1_000_000),
            cors_origins=origins,
            nonce_ttl_seconds=_int(env, "EDGEFLEET_NONCE_TTL", 60),
            attestation_max_age_seconds=_int(env, "EDGEFLEET_ATTESTATION_MAX_AGE", 86400),
            heartbeat_interval_seconds=_int(env, "EDGEFLEET_HEARTBEAT_INTERVAL", 30),
            list_cache_ttl_seconds=_int(env, "EDGEFLEET_LIST_CACHE_TTL", 30),
            detail_cache_ttl_seconds=_int(env, "EDGEFLEET_DETAIL_CACHE_TTL", 60),
            credential_cache_ttl_seconds=_int(env, "EDGEFLEET_CREDENTIAL_CACHE_TTL", 600),
            verifier=env.get("EDGEFLEET_VERIFIER") or "auto",
            ek_ca_bundle=env.get("EDGEFLEET_EK_CA_BUNDLE") or None,
            attestation_answer_timeout_seconds=_int(env, "EDGEFLEET_ATTESTATION_TIMEOUT", 30),
            rate_limit_agent_per_minute=_int(env, "EDGEFLEET_RATE_LIMIT_AGENT", 600),
            rate_limit_enrol_per_minute=_int(env, "EDGEFLEET_RATE_LIMIT_ENROL", 120),
            attestation_interval_seconds=_int(env, "EDGEFLEET_ATTESTATION_INTERVAL", 300),
            alert_rules_file=env.get("EDGEFLEET_ALERT_RULES") or None,
            redis_url=env.get("EDGEFLEET_REDIS_URL") or None,
            metrics_retention=_duration(env, "EDGEFLEET_METRICS_RETENTION", timedelta(days=7)),
            login_token_ttl=_duration(env, "EDGEFLEET_LOGIN_TOKEN_TTL", timedelta(minutes=30)),
            workers=_int(env, "EDGEFLEET_WORKERS", 1),
            rollout_signing_key=env.get("EDGEFLEET_ROLLOUT_SIGNING_KEY") or None,
            rollout_step_seconds=_bounded(env, "EDGEFLEET_ROLLOUT_STEP", 5, 1, 3600),
        )
