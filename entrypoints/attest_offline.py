"""Offline verification of an evidence file in streaming batches (bounded memory for any file size)."""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from rich.console import Console

from adapters.evidence_jsonl import EvidenceLineError, parse_line
from adapters.verifiers.choice import choose_verifier
from entrypoints.attest_cli import elapsed_since, progress

BATCH = 4096


def verify_evidence_file(path: Path, output: Path | None, verifier_name: str, workers: int,
                         console: Console) -> tuple[list[tuple[str, list[str]]], float]:
    verifier = choose_verifier(verifier_name)
    if workers and hasattr(verifier, "threads"):
        verifier.threads = workers
    total = sum(1 for _ in path.open("rb"))
    outcomes: list[tuple[str, list[str]]] = []
    out = output.open("w") if output else None
    started = time.perf_counter()
    bar, task = progress(console, total)
    try:
        with bar, path.open() as lines:
            numbered = enumerate(lines, start=1)
            while batch := list(itertools.islice(numbered, BATCH)):
                for row in _verify_batch(batch, verifier, console):
                    outcomes.append((row["status"], row["reasons"]))
                    if out:
                        out.write(json.dumps(row) + "\n")
                bar.advance(task, len(batch))
    finally:
        if out:
            out.close()
    return outcomes, elapsed_since(started)


def _verify_batch(batch, verifier, console: Console) -> list[dict]:
    parsed, rows = [], []
    for number, text in batch:
        try:
            parsed.append((number, *parse_line(text)))
        except EvidenceLineError as exc:
            console.print(f"[yellow]line {number}: malformed: {exc}")
            rows.append((number, {"device_id": None, "status": "failed", "reasons": ["malformed"], "line": number}))
    results = verifier.verify_batch([check for _, _, check in parsed]) if parsed else []
    for (number, device_id, _), result in zip(parsed, results, strict=True):
        row = {"device_id": device_id, "status": "success" if result.ok else "failed",
               "reasons": [] if result.ok else [result.reason.value]}
        if result.mismatched_pcrs:
            row["mismatched_pcrs"] = list(result.mismatched_pcrs)
        rows.append((number, row))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]  # input order
