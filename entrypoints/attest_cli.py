"""``edgefleet attest``: fleet-wide verification (through the server, or a simulated in-process fleet)
and offline verification of stored evidence. Exit 0 when all passed, 1 when any failed, 2 on misuse."""
from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

CHUNK = 256


def add_attest_command(commands) -> None:
    attest = commands.add_parser("attest", help="verify device attestation in bulk, or stored evidence offline")
    scope = attest.add_mutually_exclusive_group()
    scope.add_argument("--all", action="store_true", help="every device")
    scope.add_argument("--platform", choices=["atlas", "hisilicon"])
    scope.add_argument("--location")
    scope.add_argument("--device", action="append", metavar="ID", help="one device (repeatable)")
    scope.add_argument("--evidence", type=Path, metavar="FILE.jsonl", help="verify stored evidence offline")
    scope.add_argument("--simulated", type=int, metavar="N", help="attest N in-process simulated devices")
    attest.add_argument("--server", default="http://127.0.0.1:8000")
    attest.add_argument("--token", help="operator token (admin or auditor); default: EDGEFLEET_TOKEN")
    attest.add_argument("--verifier", choices=["auto", "native", "python"], default="auto")
    attest.add_argument("--output", type=Path, help="with --evidence: write one verdict per input line here")
    attest.add_argument("--workers", type=int, default=0, help="verifier threads (0: one per core)")
    attest.set_defaults(handler=run_attest)


def run_attest(args) -> int:
    if args.output and not args.evidence:
        print("edgefleet attest: --output goes with --evidence", file=sys.stderr)
        return 2
    console = Console(stderr=True)
    if args.evidence:
        from entrypoints.attest_offline import verify_evidence_file

        outcomes, seconds = verify_evidence_file(args.evidence, args.output, args.verifier, args.workers, console)
    elif args.simulated:
        from entrypoints.attest_simulated import attest_simulated

        outcomes, seconds = asyncio.run(attest_simulated(args.simulated, args.verifier, console))
    elif args.all or args.platform or args.location or args.device:
        from entrypoints.attest_remote import attest_remote

        outcomes, seconds = attest_remote(args, console)
    else:
        print("edgefleet attest: choose --all, --platform, --location, --device, --simulated or --evidence",
              file=sys.stderr)
        return 2
    print_summary(outcomes, seconds, console)
    return 0 if outcomes and all(status == "success" for status, _ in outcomes) else 1


def print_summary(outcomes: list[tuple[str, list[str]]], seconds: float, console: Console) -> None:
    """``outcomes``: (status, reasons) per device; status success | failed | unreachable | error."""
    statuses = Counter(status for status, _ in outcomes)
    reasons = Counter(reason for status, rs in outcomes if status == "failed" for reason in rs)
    table = Table(title="attestation summary", show_header=False)
    table.add_row("verified", str(statuses["success"]))
    table.add_row("failed", str(statuses["failed"]))
    for reason, count in reasons.most_common():
        table.add_row(f"  {reason}", str(count))
    table.add_row("unreachable", str(statuses["unreachable"]))
    if statuses["error"]:
        table.add_row("not attestable", str(statuses["error"]))
    table.add_row("duration", f"{seconds:.2f} s")
    table.add_row("quotes/s", f"{(statuses['success'] + statuses['failed']) / seconds:,.0f}" if seconds else "-")
    console.print(table)


def progress(console: Console, total: int) -> tuple[Progress, int]:
    bar = Progress(console=console, transient=False)
    return bar, bar.add_task("attesting", total=total)


def elapsed_since(started: float) -> float:
    return max(time.perf_counter() - started, 1e-9)


def write_jsonl(path: Path, rows) -> None:
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
