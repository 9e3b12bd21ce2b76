"""The request path against the floor (issue 11): heartbeat, device detail, history of 100 points and an
uncached filtered listing, each as a fraction of a minimal Litestar app's req/s under the same uvicorn
and worker count, measured in the same run with wrk -c64; and every acknowledged heartbeat stored.

Run: .venv/bin/python benchmarks/bench_scale_out.py [--postgres] [--workers 2] [--devices 1000] [--seconds 15]

Targets (issue 11, PostgreSQL with fsync on, 2 workers, >= 1,000 enrolled devices): heartbeat >= 0.25,
detail >= 0.35, history >= 0.20, uncached listing >= 0.20. Exit 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.persistence.throwaway_postgres import PostgresServer, free_port  # noqa: E402
from benchmarks.bench_heartbeat_server import LUA, SECRET, enrol, stored_samples, wrk  # noqa: E402
from tests.e2e.server_process import ServerProcess  # noqa: E402

TARGETS = {"heartbeat": 0.25, "detail": 0.35, "history": 0.20, "listing": 0.20}
UVICORN = str(Path(sys.executable).with_name("uvicorn"))


def serve_floor(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            UVICORN,
            "benchmarks.floor_app:create_floor_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60 * workers
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/floor", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the floor app did not start")


def get_rate(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> dict:
    """wrk GET of one URL; the same parsing as the heartbeat run (no script)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        args[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(out.split("Requests/sec:")[1].split()[0])
    bad = out.split("Non-2xx or 3xx responses:")[1].split()[0] if "Non-2xx" in out else "0"
    return {"rps": rps, "non_2xx": int(bad)}


def history_for(base_url: str, credential: str, device_id: str) -> None:
    """100 samples for one device, so a history page of 100 points is full."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    samples = [
        {"timestamp": (start + timedelta(seconds=10 * n)).isoformat(), "cpu_usage": float(n % 90)}
        for n in range(100)
    ]
    httpx.post(
        f"{base_url}/api/v1/agent/devices/{device_id}/heartbeat",
        json={"samples": samples},
        headers={"Authorization": f"Bearer {credential}"},
        timeout=30,
    ).raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="default: 2 on PostgreSQL, 1 on SQLite")
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL with fsync on")
    args = parser.parse_args()
    workers = args.workers or (2 if args.postgres else 1)
    work = Path(tempfile.mkdtemp(prefix="edgefleet-scale-"))
    postgres = PostgresServer(durable=True).start() if args.postgres else None
    db = None if postgres else work / "fleet.db"
    url = postgres.url if postgres else f"sqlite+aiosqlite:///{db}"
    floor, floor_url = serve_floor(workers)
    server = ServerProcess(
        work,
        url,
        SECRET,
        {
            "EDGEFLEET_RATE_LIMIT_AGENT": "100000000",
            "EDGEFLEET_RATE_LIMIT_ENROL": "100000000",
            "EDGEFLEET_ATTESTATION_INTERVAL": "0",
            "EDGEFLEET_LIST_CACHE_TTL": "0",
        },
    )
    try:
        server.start(workers=workers)
        admin = server.cli("token", "create", "--role", "admin", "--subject", "bench")
        auth = {"Authorization": f"Bearer {admin}"}
        devices, script = work / "devices.txt", work / "heartbeat.lua"
        enrol(server.base_url, admin, args.devices, devices)
        first_id, first_credential = devices.read_text().split("\n", 1)[0].split()
        history_for(server.base_url, first_credential, first_id)
        script.write_text(LUA)
        rates = {"floor": get_rate(floor_url + "/floor", args.seconds, args.connections)["rps"]}
        # The first heartbeat of a device on a worker checks its credential in the database and makes
        # its first alert evaluation; in service each worker has seen each device long before (the
        # caches hold 10 minutes, devices beat every 30 s). Measured apart: the cold round, then steady.
        base = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        cold = wrk(server.base_url, args.seconds, args.connections, script, devices, base)
        rates["heartbeat_cold"] = cold["rps"]
        base = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.")
        beats = wrk(server.base_url, args.seconds, args.connections, script, devices, base)
        rates["heartbeat"] = beats["rps"]
        api = server.base_url + "/api/v1/edge/devices"
        rates["detail"] = get_rate(f"{api}/{first_id}", args.seconds, args.connections, auth)["rps"]
        rates["history"] = get_rate(
            f"{api}/{first_id}/history?limit=100&resolution=raw", args.seconds, args.connections, auth
        )["rps"]
        rates["listing"] = get_rate(
            f"{api}?platform=hisilicon&location=bench&limit=20", args.seconds, args.connections, auth
        )["rps"]
        rates["floor_after"] = get_rate(floor_url + "/floor", args.seconds, args.connections)["rps"]
    finally:
        server.stop()
        floor.terminate()
        floor.wait(timeout=30)
    stored = stored_samples(url, db) - 100  # the history seed samples
    if postgres is not None:
        postgres.stop()
    shutil.rmtree(work, ignore_errors=True)
    acknowledged = sum(run["requests"] - run["non_2xx"] for run in (cold, beats))
    floor_rps = (rates["floor"] + rates["floor_after"]) / 2
    database = f"{'PostgreSQL' if postgres else 'SQLite'}, {workers} worker(s), {args.devices:,} devices"
    print(json.dumps({"database": database, **rates, "acknowledged": acknowledged, "stored": stored}))
    print(f"| {database}, wrk -c{args.connections} {args.seconds} s | req/s | of the floor | target |")
    print(f"| floor (minimal Litestar app, mean of before/after) | {floor_rps:,.0f} | 1.00 | |")
    ok = stored >= acknowledged > 0
    for name, target in TARGETS.items():
        ratio = rates[name] / floor_rps
        met = ratio >= target
        ok = ok and met
        print(f"| {name} | {rates[name]:,.0f} | {ratio:.3f} | >= {target} {'PASS' if met else 'FAIL'} |")
    print(
        f"| heartbeats acknowledged {acknowledged:,}, stored {stored:,} | | | "
        f"{'PASS' if stored >= acknowledged else 'FAIL'} |"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
