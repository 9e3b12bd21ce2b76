"""Offline verification of an evidence file, streamed: one pass over the file in chunks of lines; the
verifier pulls the next chunk (read and decoded here) while its threads verify the current one, and the
verdicts of a chunk are encoded and written while the next is verified. A chunk is a block of the
file (4 MiB, ~2,000 lines, ~0.1 s of crypto on a core); memory is a few chunks for any file size; malformed lines keep their line numbers and their place in the output."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import NamedTuple

import msgspec
from rich.console import Console
from rich.markup import escape

from adapters.evidence_jsonl import EvidenceLineError, decode_line
from adapters.jsonl_reader import JsonlFileError, LineChunk, TooLong, read_chunks
from domain.attestation.evidence import QuoteCheck, QuoteResult
from entrypoints.attest.report import Tally, elapsed_since, progress
from ports.verifier import QuoteVerifier

EvidenceFileError = JsonlFileError
FIRST_BLOCK = 128 << 10  # the first chunk is parsed with no verification to hide behind: keep it short
REPORTED = 1000  # malformed lines named on the console; the output file has every one


class Verdict(msgspec.Struct, omit_defaults=True):
    """One output line, for input line ``line`` (named only on malformed lines, whose device is unknown)."""

    device_id: str | None
    status: str
    reasons: list[str]
    mismatched_pcrs: list[int] = []
    line: int | None = None


class Parsed(NamedTuple):
    first: int  # line number of the chunk's first line
    count: int  # lines in the chunk
    device_ids: list[str]  # of the lines that parsed, in order
    checks: list[QuoteCheck]
    malformed: dict[int, str]  # offset in the chunk -> why
    consumed: int  # bytes of the file read so far


MALFORMED = ["malformed"]
_encode = msgspec.json.Encoder().encode_lines


def verify_evidence_file(
    path: Path, output: Path | None, verifier: QuoteVerifier, console: Console
) -> tuple[Tally, float]:
    tally, started = Tally(), time.perf_counter()
    with path.open("rb") as stream, output.open("wb") if output else nullcontext() as out:
        bar, task = progress(console, os.fstat(stream.fileno()).st_size, "verifying")
        try:
            with bar:
                parsed = _parse_all(read_chunks(stream, first_block=FIRST_BLOCK), console)
                for chunk, results in verifier.verify_stream((p, p.checks) for p in parsed):
                    rows = _verdicts(chunk, results)
                    _count(tally, chunk, results)
                    if out is not None:
                        out.write(_encode(rows))
                    bar.update(task, completed=chunk.consumed)
        except EvidenceFileError:
            if output is not None:
                output.unlink(missing_ok=True)  # refused before any verdict: leave no empty output behind
            raise
    return tally, elapsed_since(started)


def _parse_all(chunks: Iterator[LineChunk], console: Console) -> Iterator[Parsed]:
    reported = 0
    for chunk in chunks:
        device_ids, checks, malformed = [], [], {}
        for offset, raw in enumerate(chunk.lines):
            if type(raw) is TooLong:
                malformed[offset] = f"longer than {raw.limit:,} bytes: not read"
                continue
            try:
                device_id, check = decode_line(raw)
            except EvidenceLineError as exc:
                malformed[offset] = str(exc)
                continue
            device_ids.append(device_id)
            checks.append(check)
        for offset, why in malformed.items():
            reported += 1
            if reported <= REPORTED:
                console.print(
                    f"[yellow]line {chunk.first + offset}: malformed: {escape(why)}", highlight=False
                )
            elif reported == REPORTED + 1:
                console.print("[yellow]more malformed lines: only the output file lists them all")
        yield Parsed(chunk.first, len(chunk.lines), device_ids, checks, malformed, chunk.consumed)


def _verdict(device_id: str, result: QuoteResult) -> Verdict:
    if result.reason is None:
        return Verdict(device_id, "success", [])
    return Verdict(device_id, "failed", [result.reason.value], list(result.mismatched_pcrs))


def _verdicts(chunk: Parsed, results: list[QuoteResult]) -> list[Verdict]:
    """One verdict per line of the chunk, in input order."""
    verdicts = list(map(_verdict, chunk.device_ids, results))
    for offset in sorted(chunk.malformed):  # ascending, so each lands at its line's place
        verdicts.insert(offset, Verdict(None, "failed", MALFORMED, line=chunk.first + offset))
    return verdicts


def _count(tally: Tally, chunk: Parsed, results: list[QuoteResult]) -> None:
    reasons = [result.reason for result in results if result.reason is not None]
    tally.statuses["success"] += len(results) - len(reasons)
    tally.statuses["failed"] += len(reasons) + len(chunk.malformed)
    tally.reasons.update(reason.value for reason in reasons)
    if chunk.malformed:
        tally.reasons["malformed"] += len(chunk.malformed)
