"""``edgefleet attest``: fleet-wide verification (through the server, or a simulated in-process fleet)
and offline verification of stored evidence. Exit 0 when all passed, 1 when any failed, 2 on misuse."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from entrypoints.attest.report import print_summary


def add_attest_command(commands) -> None:
    attest = commands.add_parser(
        "attest", help="verify device attestation in bulk, or stored evidence offline"
    )
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
    # Each mode is imported when chosen: start-up counts when a whole file takes a few seconds.
    if args.evidence:
        from entrypoints.attest.offline import EvidenceFileError, verify_evidence_file
        from entrypoints.attest.root import event_log_replayer, evidence_stream, quote_verifier

        verifier = quote_verifier(args.verifier, args.workers)
        try:
            tally, seconds = verify_evidence_file(
                args.evidence, args.output, verifier, console, event_log_replayer(), evidence_stream(verifier)
            )
        except (OSError, EvidenceFileError) as exc:
            print(f"edgefleet attest: {args.evidence}: {exc}", file=sys.stderr)
            return 2
    elif args.simulated:
        import asyncio  # here, not at the top: every command's start-up pays for a module-level import

        from entrypoints.attest.root import simulated_fleet
        from entrypoints.attest.simulated import attest_simulated

        tally, seconds = asyncio.run(
            attest_simulated(*simulated_fleet(args.simulated, args.verifier), console)
        )
    elif args.all or args.platform or args.location or args.device:
        from entrypoints.attest.remote import attest_remote

        tally, seconds = attest_remote(args, console)
    else:
        print(
            "edgefleet attest: choose --all, --platform, --location, --device, --simulated or --evidence",
            file=sys.stderr,
        )
        return 2
    print_summary(tally, seconds, console)
    return 0 if tally.all_succeeded else 1
