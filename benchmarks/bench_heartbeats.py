"""Issue 5 benchmark: heartbeats the server sustains from one simulator process running N agents.

Run: .venv/bin/python benchmarks/bench_heartbeats.py [--devices 1000] [--duration 90] [--interval 5]
Starts `edgefleet serve` (SQLite) and `edgefleet simulate`, then compares what the agents saw
acknowledged with what the database holds: nothing acknowledged may be missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.server_process import EDGEFLEET, ServerProcess  # noqa: E402

SECRET = "bench-secret-" + "h" * 40


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=90)
    parser.add_argument("--interval", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgefleet-hb-"))
    db = work / "fleet.db"
    server = ServerProcess(
        work,
        f"sqlite+aiosqlite:///{db}",
        SECRET,
        {
            "EDGEFLEET_HEARTBEAT_INTERVAL": str(args.interval),
            "EDGEFLEET_RATE_LIMIT_ENROL": "100000",
            "EDGEFLEET_ATTESTATION_INTERVAL": "0",
        },
    ).start()
    try:
        token = server.cli("token", "create", "--role", "admin", "--subject", "bench")
        done = subprocess.run(
            [
                EDGEFLEET,
                "simulate",
                "--server",
                server.base_url,
                "--devices",
                str(args.devices),
                "--duration",
                str(args.duration),
                "--heartbeat-interval",
                str(args.interval),
                "--no-anomalies",
                "--admin-token",
                token,
                "--state-dir",
                str(work / "agents"),
            ],
            capture_output=True,
            text=True,
            timeout=args.duration + 600,
        )
    finally:
        server.stop()
    report = dict(re.findall(r"^\s*(\w+): (.*)$", done.stdout, re.M))
    with sqlite3.connect(db) as connection:
        stored = connection.execute(
            "SELECT COUNT(*) FROM device_metrics WHERE device_id LIKE 'sim-%'"
        ).fetchone()[0]
    shutil.rmtree(work, ignore_errors=True)
    accepted = int(report.get("samples_accepted", "0"))
    rate = accepted / args.duration
    print(f"agents {args.devices}, heartbeat every {args.interval} s, {args.duration} s run (SQLite)")
    print(f"{'enrolled':<24} {report.get('enrolled')}")
    print(f"{'samples acknowledged':<24} {accepted}")
    print(f"{'samples stored':<24} {stored}")
    print(f"{'heartbeat failures':<24} {report.get('heartbeat_failures')}")
    print(f"{'heartbeats/s sustained':<24} {rate:.0f}")
    print(f"{'latency p50 / p99 ms':<24} {report.get('heartbeat_p50_ms')} / {report.get('heartbeat_p99_ms')}")
    lost = accepted - stored
    print(f"nothing lost (stored >= acknowledged): {'PASS' if lost <= 0 else f'FAIL ({lost} missing)'}")
    return 0 if lost <= 0 and accepted > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
