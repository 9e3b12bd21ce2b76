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
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_private_key: str | None = None
    max_body_bytes: int = 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    nonce_ttl_seconds: int = 60
    attestation_max_age_seconds: int = 86400
    heartbeat_interval_seconds: int = 30
    list_cache_ttl_seconds: int = 30
    credential_cache_ttl_seconds: int = 30
    verifier: str = "auto"
    ek_ca_bundle: str | None = None
    attestation_answer_timeout_seconds: int = 30
    rate_limit_agent_per_minute: int = 600
    rate_limit_enrol_per_minute: int = 120
    attestation_interval_seconds: int = 300
    alert_rules_file: str | None = None
    redis_url: str | None = None
    metrics_retention: timedelta = timedelta(days=7)
    workers: int = 1
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("EDGEFLEET_VAR_DIR") or "var").resolve()
        origins = tuple(o.strip() for o in env.get("EDGEFLEET_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            var_dir=var_dir,
            database_url=env.get("EDGEFLEET_DATABASE_URL") or sqlite_url(var_dir / "edgefleet.db"),
            jwt_secret=env.get("EDGEFLEET_JWT_SECRET") or None,
            jwt_public_key=env.get("EDGEFLEET_JWT_PUBLIC_KEY") or None,
            jwt_private_key=env.get("EDGEFLEET_JWT_PRIVATE_KEY") or None,
            max_body_bytes=_int(env, "EDGEFLEET_MAX_BODY_BYTES", 1024 * 1024),
            cors_origins=origins,
            nonce_ttl_seconds=_int(env, "EDGEFLEET_NONCE_TTL", 60),
            attestation_max_age_seconds=_int(env, "EDGEFLEET_ATTESTATION_MAX_AGE", 86400),
            heartbeat_interval_seconds=_int(env, "EDGEFLEET_HEARTBEAT_INTERVAL", 30),
            list_cache_ttl_seconds=_int(env, "EDGEFLEET_LIST_CACHE_TTL", 30),
            credential_cache_ttl_seconds=_int(env, "EDGEFLEET_CREDENTIAL_CACHE_TTL", 30),
            verifier=env.get("EDGEFLEET_VERIFIER") or "auto",
            ek_ca_bundle=env.get("EDGEFLEET_EK_CA_BUNDLE") or None,
            attestation_answer_timeout_seconds=_int(env, "EDGEFLEET_ATTESTATION_TIMEOUT", 30),
            rate_limit_agent_per_minute=_int(env, "EDGEFLEET_RATE_LIMIT_AGENT", 600),
            rate_limit_enrol_per_minute=_int(env, "EDGEFLEET_RATE_LIMIT_ENROL", 120),
            attestation_interval_seconds=_int(env, "EDGEFLEET_ATTESTATION_INTERVAL", 300),
            alert_rules_file=env.get("EDGEFLEET_ALERT_RULES") or None,
            redis_url=env.get("EDGEFLEET_REDIS_URL") or None,
            metrics_retention=_duration(env, "EDGEFLEET_METRICS_RETENTION", timedelta(days=7)),
            workers=_int(env, "EDGEFLEET_WORKERS", 1),
        )
