"""Issue 7 benchmark: one device's history over 30 days in a table of 10M samples, raw vs rollups.

Run: .venv/bin/python benchmarks/bench_history.py [--runs 7] [--rebuild]
Columns: the first page of 1000 points; every page of 1000 in turn (offset paging, as a client walks
the window); the whole window in one call; the same SQL through sqlite3 alone (the database's share).
The SQLite database (116 devices x one sample per 30 s for 30 days = 10,022,400 samples, with its
1-minute and 1-hour rollups built by ``roll_up``) is cached as var/bench/history-10m.db; building it
takes a few minutes once. Queries go through ``read_history`` over the application's async engine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.persistence.engine import create_engine, sqlite_url  # noqa: E402
from adapters.persistence.history import read_history  # noqa: E402
from adapters.persistence.rollups import roll_up  # noqa: E402
from benchmarks.fleet_db import build_fleet_db  # noqa: E402
from domain.metrics_history import Resolution  # noqa: E402
from domain.pagination import PageRequest  # noqa: E402
from ports.repositories import TimeWindow  # noqa: E402

DB = ROOT / "var" / "bench" / "history-10m.db"
DEVICES, INTERVAL, DAYS = 116, 30, 30
END = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = TimeWindow(END - timedelta(days=DAYS), END)
DEVICE = "dev-0000042"
PAGE = 1000


def samples(rng: random.Random):
    """Time-major, as heartbeats arrive: one device's samples are spread over the whole table."""
    start = (END - timedelta(days=DAYS)).replace(tzinfo=None)
    for step in range(DAYS * 86400 // INTERVAL):
        base = start + timedelta(seconds=step * INTERVAL)
        for d in range(DEVICES):
            at = (base + timedelta(seconds=d % INTERVAL, microseconds=d)).strftime("%Y-%m-%d %H:%M:%S.%f")
            atlas = d % 2 == 0
            yield (
                f"dev-{d:07d}",
                rng.uniform(5, 95),
                rng.uniform(20, 90),
                rng.uniform(35, 85),
                at,
                "online",
                step * INTERVAL,
                rng.uniform(0, 100) if atlas else None,
                rng.uniform(0, 8192) if atlas else None,
                rng.uniform(20, 60) if atlas else None,
            )


def build() -> None:
    DB.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    build_fleet_db(DB, DEVICES)
    db = sqlite3.connect(DB)
    # Bulk load: commits of a million rows keep the WAL small; a big page cache keeps the indexes in memory.
    db.executescript("PRAGMA synchronous=OFF; PRAGMA cache_size=-2000000;")
    rows = samples(random.Random(7))
    while chunk := list(itertools.islice(rows, 1_000_000)):
        with db:
            db.executemany(
                "INSERT INTO device_metrics (device_id, cpu_usage, memory_usage, temperature, timestamp, status,"
                " uptime_seconds, ai_core_usage, npu_memory_used_mb, power_w) VALUES (?,?,?,?,?,?,?,?,?,?)",
                chunk,
            )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    loaded = time.perf_counter()
    print(f"loaded {DEVICES * DAYS * 86400 // INTERVAL:,} samples in {loaded - started:.0f} s", flush=True)
    asyncio.run(_roll_up())
    print(f"rolled up in {time.perf_counter() - loaded:.0f} s", flush=True)
    with sqlite3.connect(DB) as db:
        db.execute("ANALYZE")
    DB.with_suffix(".done").touch()


async def _roll_up() -> None:
    engine = create_engine(sqlite_url(DB))
    try:
        counts = await roll_up(engine, END + timedelta(hours=1), chunk=timedelta(hours=6))
        print(f"rollup rows: {counts.minute_buckets:,} (1m), {counts.hour_buckets:,} (1h)")
    finally:
        await engine.dispose()


async def timed(runs: int, action) -> tuple[float, int]:
    await action()  # warm the page cache
    durations, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = await action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000, rows


SQL = {  # what read_history sends, for the database's share of the time
    Resolution.RAW: "SELECT timestamp, cpu_usage, memory_usage, temperature, status, uptime_seconds, ai_core_usage,"
    " npu_memory_used_mb, power_w FROM device_metrics WHERE device_id = ? AND timestamp >= ?"
    " AND timestamp <= ? ORDER BY timestamp DESC, id DESC",
    **{
        r: f"SELECT * FROM device_metrics_{r.value} WHERE device_id = ? AND bucket >= ? AND bucket <= ?"
        " ORDER BY bucket DESC"
        for r in (Resolution.MINUTE, Resolution.HOUR)
    },
}


def sql_only(runs: int, resolution: Resolution) -> float:
    bounds = [t.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") for t in (WINDOW.start, WINDOW.end)]
    with sqlite3.connect(DB) as db:
        db.execute(SQL[resolution], (DEVICE, *bounds)).fetchall()
        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            db.execute(SQL[resolution], (DEVICE, *bounds)).fetchall()
            durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


async def measure(runs: int) -> None:
    engine = create_engine(sqlite_url(DB))
    try:
        async with engine.connect() as conn:

            async def first_page(resolution):
                return len(await read_history(conn, DEVICE, WINDOW, PageRequest(PAGE), resolution))

            async def paged(resolution):  # what a client does: pages of 1000 until a short one
                total, offset = 0, 0
                while len(
                    page := await read_history(conn, DEVICE, WINDOW, PageRequest(PAGE, offset), resolution)
                ):
                    total, offset = total + len(page), offset + PAGE
                    if len(page) < PAGE:
                        break
                return total

            async def whole(resolution):
                return len(await read_history(conn, DEVICE, WINDOW, PageRequest(10**9), resolution))

            print(
                f"\n{DB.name}: {DB.stat().st_size / 2**30:.2f} GiB; device {DEVICE}, window {DAYS} days; "
                f"median of {runs} warm runs (ms)"
            )
            print(
                f"{'resolution':<10} {'points':>8} {'first page':>11} {'all pages':>10} {'one query':>10}"
                f" {'SQL only':>9}"
            )
            for resolution in (Resolution.RAW, Resolution.MINUTE, Resolution.HOUR):
                first, _ = await timed(runs, lambda r=resolution: first_page(r))
                all_pages, points = await timed(max(3, runs // 2), lambda r=resolution: paged(r))
                one, _ = await timed(max(3, runs // 2), lambda r=resolution: whole(r))
                sql = sql_only(runs, resolution)
                print(
                    f"{resolution.value:<10} {points:>8,} {first:>11.1f} {all_pages:>10.1f} {one:>10.1f} {sql:>9.1f}"
                )
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not DB.with_suffix(".done").exists():
        DB.with_suffix(".done").unlink(missing_ok=True)
        build()
    asyncio.run(measure(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
