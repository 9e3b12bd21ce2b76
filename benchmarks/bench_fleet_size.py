"""Read latency against fleet size on PostgreSQL (issue 11, item 3): 1,000 devices, then 100,000 devices
with 10,000,000 samples; every route within 2x of its 1k latency (no scans of the fleet per request).

Run: .venv/bin/python benchmarks/bench_fleet_size.py [--devices 100000] [--samples 10000000] [--requests 200]

One throw-away PostgreSQL; the fleet is written by SQL (generate_series) straight into the schema the
migrations made, the server (one worker, caches off: EDGEFLEET_LIST_CACHE_TTL=0 and
EDGEFLEET_DETAIL_CACHE_TTL=0) is started on it, and each route is asked --requests times in turn by one
client, the two fleets (two databases on one server) asked in turn; the figure is the median latency.
Exit 1 when a route's ratio is above 2.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.persistence.throwaway_postgres import PostgresServer  # noqa: E402
from benchmarks.bench_heartbeat_server import SECRET  # noqa: E402
from tests.e2e.server_process import ServerProcess  # noqa: E402

ROUTES = {
    "listing (platform + location)": "/api/v1/edge/devices?platform=hisilicon&location=site-7&limit=20",
    "listing, deep page": "/api/v1/edge/devices?limit=20&offset=500",
    "device detail": "/api/v1/edge/devices/dev-0000042",
    "history, 100 points": "/api/v1/edge/devices/dev-0000042/history?limit=100&resolution=raw",
    "health": "/api/v1/edge/health",
    "compliance page": "/api/v1/edge/security/compliance?limit=20",
    "security metrics": "/api/v1/edge/metrics",
    "fleet summary": "/api/v1/edge/fleet/summary",
}

DEVICES_SQL = """
INSERT INTO edge_devices (id, name, platform, location, model, cores, memory_gb, firmware_version, tee_enabled,
    tpm_enabled, status, last_heartbeat, created_at, updated_at, cpu_usage, memory_usage, temperature,
    uptime_seconds, attestation_status)
SELECT 'dev-' || lpad(g::text, 7, '0'), 'device ' || g, CASE WHEN g % 2 = 0 THEN 'atlas' ELSE 'hisilicon' END,
    'site-' || (g % 50), 'model-' || (g % 5), 8, 16, 'fw-1.' || (g % 3), g % 3 <> 0, g % 4 <> 0,
    CASE WHEN g % 10 = 0 THEN 'offline' ELSE 'online' END, now(), now() - interval '30 days', now(),
    40 + g % 50, 50, 60, 1000 + g, CASE WHEN g % 7 = 0 THEN 'failed' ELSE 'success' END
FROM generate_series($1::int, $2::int) g
"""
# Samples round-robin over the devices, one every 30 s per device, newest now: one device's history is
# spread over the whole table, as heartbeats write it.
SAMPLES_SQL = """
INSERT INTO device_metrics (device_id, cpu_usage, memory_usage, temperature, timestamp, status, uptime_seconds)
SELECT 'dev-' || lpad((1 + g % $1::int)::text, 7, '0'), (g % 90)::float, 55.0, 60.0,
    now() - ((g / $1::int) * interval '30 seconds') - ((g % $1::int) * interval '1 microsecond'),
    'online', g
FROM generate_series($2::bigint, $3::bigint) g
"""


async def seed(dsn: str, devices: int, samples: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        # bulk seeding: the late-sample trigger (rollup bookkeeping) is not what is measured
        await connection.execute("ALTER TABLE device_metrics DISABLE TRIGGER trg_device_metrics_late")
        await connection.execute(DEVICES_SQL, 1, devices)
        step = 1_000_000
        for start in range(0, samples, step):
            await connection.execute(SAMPLES_SQL, devices, start, min(start + step, samples) - 1)
        await connection.execute("ALTER TABLE device_metrics ENABLE TRIGGER trg_device_metrics_late")
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")  # measured with the writes flushed, not under them
    finally:
        await connection.close()


def measure(servers: dict[str, str], token: str, requests: int) -> dict[str, dict[str, float]]:
    """Both fleets asked in turn, request by request, so load from elsewhere falls on both alike."""
    headers = {"Authorization": f"Bearer {token}"}
    timings = {label: {name: [] for name in ROUTES} for label in servers}
    clients = {
        label: httpx.Client(base_url=url, headers=headers, timeout=60) for label, url in servers.items()
    }
    try:
        for client in clients.values():
            for path in ROUTES.values():  # warm-up: connections, prepared statements, caches of the OS
                for _ in range(5):
                    client.get(path).raise_for_status()
        for _ in range(requests):
            for name, path in ROUTES.items():
                for label, client in clients.items():
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    timings[label][name].append(time.perf_counter() - started)
    finally:
        for client in clients.values():
            client.close()
    return {
        label: {n: statistics.median(v) * 1000 for n, v in routes.items()}
        for label, routes in timings.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgefleet-size-"))
    postgres = PostgresServer().start()
    environment = {
        "EDGEFLEET_LIST_CACHE_TTL": "0",
        "EDGEFLEET_DETAIL_CACHE_TTL": "0",
        "EDGEFLEET_ATTESTATION_INTERVAL": "0",
    }
    fleets = {"1k": (1000, 100_000), "large": (args.devices, args.samples)}
    servers: dict[str, ServerProcess] = {}
    seeded = {}
    try:
        for label, (devices, samples) in fleets.items():
            url = postgres.create_database(f"fleet_{label}")
            (work / label).mkdir()
            server = servers[label] = ServerProcess(work / label, url, SECRET, environment)
            server.cli("db", "upgrade")
            started = time.monotonic()
            asyncio.run(seed(url.replace("postgresql+asyncpg", "postgresql"), devices, samples))
            seeded[label] = time.monotonic() - started
        for server in servers.values():
            server.start()
        token = servers["1k"].cli("token", "create", "--role", "admin", "--subject", "bench")
        figures = measure({label: s.base_url for label, s in servers.items()}, token, args.requests)
    finally:
        for server in servers.values():
            server.stop()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    large = f"{args.devices:,} devices, {args.samples:,} samples"
    print(f"seeding: 1k {seeded['1k']:.0f} s, large {seeded['large']:.0f} s")
    print(
        f"| route (median of {args.requests}, interleaved) | 1,000 devices ms | {large} ms | ratio (target <= 2) |"
    )
    print("|---|--:|--:|--:|")
    ok = True
    for name in ROUTES:
        small, big = figures["1k"][name], figures["large"][name]
        ratio = big / small
        ok = ok and ratio <= 2
        print(f"| {name} | {small:.2f} | {big:.2f} | {ratio:.2f} {'PASS' if ratio <= 2 else 'FAIL'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
