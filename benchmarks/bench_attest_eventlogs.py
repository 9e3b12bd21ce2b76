"""Quote + boot event log verification through `edgefleet attest --evidence`, beside quote-only (issue 13).

    .venv/bin/python benchmarks/bench_attest_eventlogs.py [--lines 5000] [--rounds 3]

The same quotes (ECDSA P-256 AKs of 50 simulated devices, fresh nonces) written twice: once as plain
evidence lines, once with each device's ~100-event UEFI boot log (base64) and an event policy learned
from a good log. Each file is verified by the whole `edgefleet attest --evidence` process, as a user
runs it; the figure is lines per second of wall clock, best of --rounds (start-up included). Reported,
no target: what judging the boot log adds to a quote.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.tpm.simulated import SimulatedTpm  # noqa: E402
from adapters.tpm.tpm2_tools_evidence import evidence_line  # noqa: E402
from adapters.tpm.uefi_boot_log import BootConfig, boot_log  # noqa: E402
from domain.attestation.evidence import HashAlg  # noqa: E402
from domain.attestation.policy import PolicyScope  # noqa: E402
from domain.measured_boot.eventlog import parse_log  # noqa: E402
from domain.measured_boot.policy import learn  # noqa: E402

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
DEVICES = 50
PCRS = list(range(8))


def write_corpus(lines: int, plain: Path, with_logs: Path) -> None:
    config = BootConfig("Atlas 500", "2.1.0", boot_entries=63, option_roms=8)
    log = boot_log(config)
    policy = learn(PolicyScope.for_device("bench"), parse_log(log), HashAlg.SHA256).as_dict()
    tpms = []
    for n in range(DEVICES):
        tpm = SimulatedTpm(seed=f"bench-{n}")
        tpm.measure_log(log)
        tpms.append(tpm)
    with plain.open("w") as a, with_logs.open("w") as b:
        for i in range(lines):
            tpm = tpms[i % DEVICES]
            nonce = i.to_bytes(8, "big") * 4
            line = evidence_line(f"dev-{i % DEVICES}", tpm.quote(nonce, PCRS), nonce, tpm.ak_public())
            logged = dict(line, event_policy=policy)
            line.pop("event_log", None)
            a.write(json.dumps(line) + "\n")
            b.write(json.dumps(logged) + "\n")
    assert "event_log" in logged and base64.b64decode(logged["event_log"]) == log


def rate(path: Path, lines: int, rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(
            [EDGEFLEET, "attest", "--evidence", str(path), "--output", "/dev/null"],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"attest failed on {path.name}: {done.stderr[-2000:]}")
        best = max(best, lines / elapsed)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgefleet-attest-logs-"))
    plain, with_logs = work / "quotes.jsonl", work / "quotes-with-logs.jsonl"
    write_corpus(args.lines, plain, with_logs)
    quote_only = rate(plain, args.lines, args.rounds)
    quote_and_log = rate(with_logs, args.lines, args.rounds)
    size = with_logs.stat().st_size / args.lines / 1024
    print(
        f"| `attest --evidence`, {args.lines:,} ECDSA quotes (whole process, best of {args.rounds}) | lines/s |"
    )
    print(f"| quote only | {quote_only:,.0f} |")
    print(
        f"| quote + ~{size:.0f} KiB line with a UEFI log replayed and an event policy judged | {quote_and_log:,.0f} |"
    )
    print(f"| ratio | {quote_and_log / quote_only:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
