"""Issue 2 benchmarks: list-devices latency at 1k vs 100k devices, and throughput vs a trivial endpoint.

Run: .venv/bin/python benchmarks/bench_device_list.py [--requests 400] [--duration 10]
Prints a table and PASS/FAIL against the targets:
  - median latency of GET /devices (page of 20, list cache off) at 100k devices within 2x of 1k;
  - list-devices throughput under wrk (32 connections) >= 50% of a trivial endpoint in the same process.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fleet_db import build_fleet_db  # noqa: E402
from tests.e2e.server_process import ServerProcess  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
QUERIES = {
    "first page": {"limit": 20},
    "deep page": {"limit": 20, "offset": 500},
    "filtered": {"limit": 20, "platform": "atlas", "status": "online"},
    "by location": {"limit": 20, "location": "site-042"},
}


def latencies(server: ServerProcess, token: str, params: dict, requests: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(20):
            http.get("/api/v1/edge/devices", params=params)
        for _ in range(requests):
            started = time.perf_counter()
            response = http.get("/api/v1/edge/devices", params=params)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return samples


def wrk(url: str, seconds: int, header: str | None = None) -> float:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgefleet-bench-"))
    results: dict[int, dict[str, float]] = {}
    throughput = {}
    try:
        for size in (1_000, 100_000):
            url = build_fleet_db(work / f"fleet-{size}.db", size)
            # Latency with the list cache off: every request runs the count and page queries.
            server = ServerProcess(work, url, SECRET, {"EDGEFLEET_LIST_CACHE_TTL": "0"}).start()
            try:
                token = server.cli("token", "create", "--role", "viewer", "--subject", "bench")
                results[size] = {
                    name: statistics.median(latencies(server, token, q, args.requests)) * 1000
                    for name, q in QUERIES.items()
                }
                if size == 100_000 and shutil.which("wrk"):
                    throughput["list devices, cache off"] = wrk(
                        f"{server.base_url}/api/v1/edge/devices?limit=20",
                        args.duration,
                        f"Authorization: Bearer {token}",
                    )
            finally:
                server.stop()
            if size == 100_000 and shutil.which("wrk"):
                server = ServerProcess(
                    work, url, SECRET
                ).start()  # default: the API contract's 30 s list cache
                try:
                    throughput["trivial (/healthz)"] = wrk(f"{server.base_url}/healthz", args.duration)
                    throughput["list devices, cached"] = wrk(
                        f"{server.base_url}/api/v1/edge/devices?limit=20",
                        args.duration,
                        f"Authorization: Bearer {token}",
                    )
                finally:
                    server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ok = True
    print(f"{'query':<14} {'1k median ms':>13} {'100k median ms':>15} {'ratio':>7}  target <= 2.0")
    for name in QUERIES:
        ratio = results[100_000][name] / results[1_000][name]
        ok &= ratio <= 2.0
        print(
            f"{name:<14} {results[1_000][name]:>13.2f} {results[100_000][name]:>15.2f} {ratio:>7.2f}  "
            f"{'PASS' if ratio <= 2.0 else 'FAIL'}"
        )
    if throughput:
        trivial = throughput["trivial (/healthz)"]
        print(
            f"\nwrk -t2 -c32 -d{args.duration}s against one `edgefleet serve` process (100k devices, SQLite)"
        )
        for name, rps in throughput.items():
            print(f"{name:<26} {rps:>10.0f} req/s  {rps / trivial:>5.2f} of trivial")
        ratio = throughput["list devices, cached"] / trivial
        ok &= ratio >= 0.5
        print(
            f"target: list (default config) >= 0.50 of trivial: {ratio:.2f} {'PASS' if ratio >= 0.5 else 'FAIL'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
