"""Heartbeats/s one `edgefleet serve` process sustains, measured from outside with wrk (issue 5).

Run: .venv/bin/python benchmarks/bench_heartbeat_server.py [--devices 1000] [--seconds 30] [--connections 64]
                                                           [--postgres | --database-url URL]

The simulator benchmark (bench_heartbeats.py) runs 1,000 Python agents on the same two cores as the
server, so it mostly measures the agents. This one enrols --devices devices over the API first, then
lets wrk (C, a few percent of a core) post heartbeats round-robin across all of them, each with its
own device credential, for --seconds, and prints req/s, latency percentiles and the check that every
acknowledged heartbeat is stored. --postgres starts a throw-away PostgreSQL server (initdb + pg_ctl,
fsync on) and measures on it instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.persistence.throwaway_postgres import PostgresServer  # noqa: E402
from tests.e2e.server_process import ServerProcess  # noqa: E402

SECRET = "bench-secret-" + "s" * 40

# One request per call, round-robin over every enrolled device; timestamps step by a microsecond
# per request so every sample is distinct.
LUA = r"""
local devices, n, i = {}, 0, 0
local thread_offset = 0
function setup(thread) thread:set("offset", tostring(thread_offset)); thread_offset = thread_offset + 1 end
function init(args)
  for line in io.lines(args[1]) do
    local id, cred = line:match("^(%S+) (%S+)$")
    n = n + 1; devices[n] = {path = "/api/v1/agent/devices/" .. id .. "/heartbeat", auth = "Bearer " .. cred}
  end
  i = tonumber(offset) * 7919
  base = args[2]
end
function request()
  i = i + 1
  local d = devices[(i % n) + 1]
  local body = '{"samples":[{"timestamp":"' .. base .. string.format("%06d", i % 1000000) ..
    'Z","cpu_usage":41.5,"memory_usage":63.0,"temperature":57.0,"uptime_seconds":3600}]}'
  return wrk.format("POST", d.path, {["Authorization"] = d.auth, ["Content-Type"] = "application/json"}, body)
end
"""


def enrol(base_url: str, admin: str, count: int, out: Path) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client, out.open("w") as lines:
        for n in range(count):
            token = client.post(
                "/api/v1/edge/enrollment-tokens",
                json={"expires_in": 3600},
                headers={"Authorization": f"Bearer {admin}"},
            )
            token.raise_for_status()
            device = {"id": f"hb-{n:05d}", "name": f"hb {n}", "platform": "hisilicon", "location": "bench"}
            enrolled = client.post(
                "/api/v1/agent/enroll", json={"enrollment_token": token.json()["token"], "device": device}
            )
            enrolled.raise_for_status()
            lines.write(f"{device['id']} {enrolled.json()['credential']}\n")


def wrk(url: str, seconds: int, connections: int, script: Path, devices: Path, base: str) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
            "--",
            str(devices),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1000.0}

    def ms(label: str) -> float:
        value, suffix = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * unit[suffix]

    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": done,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p90": ms("90%"),
        "p99": ms("99%"),
    }


def stored_samples(database_url: str, db: Path | None) -> int:
    query = "SELECT COUNT(*) FROM device_metrics WHERE device_id LIKE 'hb-%'"
    if db is not None:
        with sqlite3.connect(db) as connection:
            return connection.execute(query).fetchone()[0]

    async def count() -> int:
        connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return await connection.fetchval(query)
        finally:
            await connection.close()

    return asyncio.run(count())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--postgres", action="store_true", help="start a throw-away PostgreSQL (fsync on) and use it"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgefleet-hbs-"))
    postgres = PostgresServer(durable=True).start() if args.postgres else None
    try:
        return measure(args, work, postgres.url if postgres else args.database_url)
    finally:
        if postgres is not None:
            postgres.stop()


def measure(args, work: Path, database_url: str | None) -> int:
    db = None if database_url else work / "fleet.db"
    url = database_url or f"sqlite+aiosqlite:///{db}"
    server = ServerProcess(
        work,
        url,
        SECRET,
        {
            "EDGEFLEET_RATE_LIMIT_AGENT": "100000000",
            "EDGEFLEET_RATE_LIMIT_ENROL": "100000000",
            "EDGEFLEET_ATTESTATION_INTERVAL": "0",
        },
    ).start()
    try:
        admin = server.cli("token", "create", "--role", "admin", "--subject", "bench")
        devices, script = work / "devices.txt", work / "heartbeat.lua"
        enrol(server.base_url, admin, args.devices, devices)
        script.write_text(LUA)
        base = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.")  # microseconds appended per request
        result = wrk(server.base_url, args.seconds, args.connections, script, devices, base)
    finally:
        server.stop()
    stored = stored_samples(url, db)
    shutil.rmtree(work, ignore_errors=True)
    acknowledged = result["requests"] - result["non_2xx"]
    print(
        json.dumps(
            {
                "database": "sqlite" if db else "postgresql",
                "devices": args.devices,
                **result,
                "acknowledged": acknowledged,
                "stored": stored,
            }
        )
    )
    print(
        f"| heartbeats/s ({'SQLite' if db else 'PostgreSQL'}, {args.devices:,} devices, {args.connections} "
        f"connections, {args.seconds} s) | {result['rps']:,.0f} |"
    )
    print(f"| latency p50 / p90 / p99 | {result['p50']:.1f} / {result['p90']:.1f} / {result['p99']:.1f} ms |")
    ok = result["non_2xx"] == 0 and stored >= acknowledged and acknowledged > 0
    print(
        f"| acknowledged {acknowledged:,}, stored {stored:,}, errors {result['non_2xx']} | "
        f"{'PASS' if ok else 'FAIL'} |"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
