"""``edgefleet eventlog``: replay a TCG firmware event log offline, or list its events.

    edgefleet eventlog replay LOG [--json] [--replayer auto|native|python]
    edgefleet eventlog show LOG [--json]

Exit 0 when the log replays, 1 with a one-line reason (and the byte offset) when it cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from domain.measured_boot.eventlog import EventLogError, parse_log
from domain.measured_boot.replay import Replay
from domain.measured_boot.tcg import MAX_LOG_BYTES, type_name
from domain.measured_boot.uefi import describe, trusted

_ALG_NAMES = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384", 0x000D: "sha512"}


def add_eventlog_command(commands) -> None:
    eventlog = commands.add_parser("eventlog", help="replay or list a TCG firmware event log offline")
    sub = eventlog.add_subparsers(dest="eventlog_command", required=True)
    replay = sub.add_parser("replay", help="print the PCR values the log replays to, per bank")
    replay.add_argument("log", type=Path, metavar="LOG", help="binary_bios_measurements file")
    replay.add_argument("--json", action="store_true", help='{"sha256": {"0": "<hex>", ...}, ...}')
    replay.add_argument("--replayer", choices=["auto", "native", "python"], default="auto")
    replay.set_defaults(handler=run_replay)
    show = sub.add_parser("show", help="list the log's events")
    show.add_argument("log", type=Path, metavar="LOG", help="binary_bios_measurements file")
    show.add_argument("--json", action="store_true", help="one JSON object per event")
    show.set_defaults(handler=run_show)


def _read(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_LOG_BYTES + 1)  # the parser refuses anything longer
    except OSError as exc:
        print(f"edgefleet eventlog: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _unreadable(path: Path, error: EventLogError) -> int:
    print(f"edgefleet eventlog: {path}: malformed_event_log: {error}", file=sys.stderr)
    return 1


def run_replay(args) -> int:
    from adapters.measured_boot.choice import choose_replayer

    data = _read(args.log)
    if data is None:
        return 1
    [result] = choose_replayer(args.replayer).replay_batch([data])
    if isinstance(result, EventLogError):
        return _unreadable(args.log, result)
    assert isinstance(result, Replay)
    banks = result.as_dict()
    if args.json:
        print(json.dumps(banks))
        return 0
    for bank, pcrs in banks.items():
        print(f"{bank}:")
        for pcr, value in pcrs.items():
            print(f"  {int(pcr):2d}: {value}")
    return 0


def run_show(args) -> int:
    data = _read(args.log)
    if data is None:
        return 1
    try:
        log = parse_log(data)
    except EventLogError as error:
        return _unreadable(args.log, error)
    for event in log.events:
        row: dict[str, Any] = {
            "number": event.number,
            "pcr": event.pcr,
            "type": type_name(event.type),
            "digests": {_ALG_NAMES[alg]: d.hex() for alg, d in event.digests.items()},
            "trusted": trusted(event),
            "data_size": len(event.data),
        }
        decoded = describe(event)
        if decoded is not None:
            row["data"] = decoded
        if args.json:
            print(json.dumps(row))
            continue
        digests = " ".join(f"{alg}:{d}" for alg, d in row["digests"].items())
        print(f"#{event.number:<4} PCR {event.pcr:<2} {row['type']:<34} {digests}")
        if decoded is not None:
            print(f"      {json.dumps(decoded)}")
        elif event.data:
            print(f"      ({len(event.data)} bytes, not the measured data: not decoded)")
    return 0
