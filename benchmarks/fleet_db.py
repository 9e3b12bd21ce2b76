"""Builds a migrated SQLite database holding a synthetic fleet of N devices (bulk insert, seconds for 100k)."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from adapters.persistence.engine import sqlite_url
from adapters.persistence.migrate import upgrade

PLATFORMS = ["atlas", "hisilicon"]
STATUSES = ["online", "online", "online", "degraded", "offline", "unknown"]


def build_fleet_db(path: Path, devices: int, seed: int = 1) -> str:
    if path.exists():
        path.unlink()
    url = sqlite_url(path)
    upgrade(url)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = (
        (
            f"dev-{i:07d}",
            f"device {i}",
            PLATFORMS[i % 2],
            f"site-{i % 500:03d}",
            "Atlas 500",
            8,
            16,
            "2.1.0",
            1,
            1,
            rng.choice(STATUSES),
            now,
            now,
            now,
            rng.uniform(0, 100),
            rng.uniform(0, 100),
            rng.uniform(30, 80),
            rng.randint(0, 10**7),
            "unknown",
        )
        for i in range(devices)
    )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO edge_devices (id, name, platform, location, model, cores, memory_gb, firmware_version,"
            " tee_enabled, tpm_enabled, status, last_heartbeat, created_at, updated_at, cpu_usage, memory_usage,"
            " temperature, uptime_seconds, attestation_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.execute("ANALYZE")
    return url
