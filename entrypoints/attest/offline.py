"""Offline verification of an evidence file, streamed: one pass over the file in chunks of lines; the
verifier pulls the next chunk (read and decoded) while its threads verify the current one, and the
verdicts of a chunk are written while the next is verified. A chunk is a block of the file (4 MiB,
~2,000 lines, ~0.1 s of crypto on a core); memory is a few chunks for any file size; malformed lines
keep their line numbers and their place in the output. With the native verifier, lines are decoded
and their verdicts written in C (adapters/verifiers/native_evidence.py) and only the lines it leaves
(event logs, escapes, anything odd or wrong) are decoded here, by the reference decoder."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec
from rich.console import Console
from rich.markup import escape

from adapters.evidence_jsonl import EvidenceLineError, decode_line
from adapters.jsonl_reader import JsonlFileError, LineChunk, TooLong, read_chunks
from domain.attestation.evidence import QuoteCheck, QuoteResult, Reason
from domain.measured_boot.check import NO_LOG, LogVerdict, check_log
from domain.measured_boot.policy import EventPolicy
from entrypoints.attest.report import Tally, elapsed_since, progress
from ports.event_log import EventLogReplayer
from ports.verifier import QuoteVerifier

if TYPE_CHECKING:
    from adapters.verifiers.native_evidence import NativeEvidenceStream as EvidenceStream

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
    failed_events: list[dict] = []  # event_policy_mismatch: rule, event number, PCR, type, expected, seen
    event_log_error: str | None = None  # malformed_event_log: the fault and its byte offset


class Parsed(NamedTuple):
    """The lines of a chunk decoded here (every line, or those the native decoder left to this one)."""

    first: int  # line number of the chunk's first line
    offsets: Sequence[int]  # of these lines in the chunk, ascending
    device_ids: list[str]  # of the lines that parsed, in order
    checks: list[QuoteCheck]
    event_policies: list[EventPolicy | None]
    malformed: dict[int, str]  # position in ``offsets`` -> why
    consumed: int  # bytes of the file read so far


MALFORMED = ["malformed"]
_encode = msgspec.json.Encoder().encode_lines
_encode_one = msgspec.json.Encoder().encode


def verify_evidence_file(
    path: Path,
    output: Path | None,
    verifier: QuoteVerifier,
    console: Console,
    replayer: EventLogReplayer | None = None,
    native: EvidenceStream | None = None,
) -> tuple[Tally, float]:
    """``replayer`` replays the event logs lines carry (required when a line has one). With ``native``
    (the native verifier's line decoder), lines are decoded in C, the odd ones here."""
    tally, started = Tally(), time.perf_counter()
    with path.open("rb") as stream, output.open("wb") if output else nullcontext() as out:
        bar, task = progress(console, os.fstat(stream.fileno()).st_size, "verifying")
        reporter = _Reporter(console)
        try:
            with bar:
                chunks = read_chunks(stream, first_block=FIRST_BLOCK)
                for parsed, block, results in _verified(chunks, verifier, native, reporter):
                    logs = _judge_logs(parsed, results, replayer)
                    results = [_with_log(result, log) for result, log in zip(results, logs, strict=True)]
                    rows = _verdicts(parsed, results, logs)
                    _count(tally, parsed, results)
                    if block is not None:
                        _count_block(tally, block.counts)
                    if out is not None:
                        out.write(_encode(rows) if block is None else block.output(list(map(_row, rows))))
                    bar.update(task, completed=parsed.consumed)
        except EvidenceFileError:
            if output is not None:
                output.unlink(missing_ok=True)  # refused before any verdict: leave no empty output behind
            raise
    return tally, elapsed_since(started)


def _verified(chunks: Iterator[LineChunk], verifier: QuoteVerifier, native, reporter: _Reporter):
    """(parsed lines, native block or None, their results) per chunk, in order."""
    if native is not None:
        return native.verify(chunks, reporter.parse)
    parsed = (reporter.parse(chunk, range(len(chunk.lines))) for chunk in chunks)
    return ((p, None, results) for p, results in verifier.verify_stream((p, p.checks) for p in parsed))


def _row(verdict: Verdict) -> bytes:
    return _encode_one(verdict) + b"\n"


class _Reporter:
    """Decodes lines here and names the malformed ones on the console (the first REPORTED of them)."""

    def __init__(self, console: Console) -> None:
        self.console, self.reported = console, 0

    def parse(self, chunk: LineChunk, offsets: Sequence[int]) -> Parsed:
        device_ids, checks, event_policies, malformed = [], [], [], {}
        lines = chunk.lines
        for position, offset in enumerate(offsets):
            raw = lines[offset]
            if type(raw) is TooLong:
                malformed[position] = f"longer than {raw.limit:,} bytes: not read"
                continue
            try:
                device_id, check, event_policy = decode_line(raw)
            except EvidenceLineError as exc:
                malformed[position] = str(exc)
                continue
            device_ids.append(device_id)
            checks.append(check)
            event_policies.append(event_policy)
        for position, why in malformed.items():
            self.reported += 1
            if self.reported <= REPORTED:
                self.console.print(
                    f"[yellow]line {chunk.first + offsets[position]}: malformed: {escape(why)}",
                    highlight=False,
                )
            elif self.reported == REPORTED + 1:
                self.console.print("[yellow]more malformed lines: only the output file lists them all")
        return Parsed(chunk.first, offsets, device_ids, checks, event_policies, malformed, chunk.consumed)


_PASSED = LogVerdict()


def _judge_logs(
    chunk: Parsed, results: list[QuoteResult], replayer: EventLogReplayer | None
) -> list[LogVerdict]:
    """Event logs (and event policies) of the lines whose quote verified: the logs replayed in one batch,
    then judged as the server judges them (domain.measured_boot.check.check_log)."""
    judged = [_PASSED] * len(results)
    todo = [
        i
        for i, (check, policy, result) in enumerate(zip(chunk.checks, chunk.event_policies, results))
        if result.reason is None and (check.evidence.event_log is not None or policy is not None)
    ]
    with_log = [i for i in todo if chunk.checks[i].evidence.event_log is not None]
    replayed = (
        replayer.replay_batch([chunk.checks[i].evidence.event_log for i in with_log]) if with_log else []
    )
    outcomes = dict(zip(with_log, replayed))
    for i in todo:
        evidence, policy = chunk.checks[i].evidence, chunk.event_policies[i]
        if i not in outcomes:  # a policy to judge, nothing to judge it on
            judged[i] = LogVerdict(Reason.EVENT_POLICY_MISMATCH, failed_events=(NO_LOG,))
        else:
            judged[i] = check_log(
                evidence.event_log, outcomes[i], evidence.pcr_values, evidence.hash_alg, policy
            )
    return judged


def _with_log(result: QuoteResult, log: LogVerdict) -> QuoteResult:
    if log.ok:
        return result
    return QuoteResult(log.reason, log.mismatched_pcrs, result.clock, result.firmware_version)


def _verdict(device_id: str, result: QuoteResult, log: LogVerdict) -> Verdict:
    if result.reason is None:
        return Verdict(device_id, "success", [])
    return Verdict(
        device_id,
        "failed",
        [result.reason.value],
        list(result.mismatched_pcrs),
        failed_events=[f.as_dict() for f in log.failed_events],
        event_log_error=log.error,
    )


def _verdicts(chunk: Parsed, results: list[QuoteResult], logs: list[LogVerdict]) -> list[Verdict]:
    """One verdict per line of the chunk, in input order."""
    verdicts = list(map(_verdict, chunk.device_ids, results, logs))
    for position in sorted(chunk.malformed):  # ascending, so each lands at its line's place
        line = chunk.first + chunk.offsets[position]
        verdicts.insert(position, Verdict(None, "failed", MALFORMED, line=line))
    return verdicts


def _count(tally: Tally, chunk: Parsed, results: list[QuoteResult]) -> None:
    reasons = [result.reason for result in results if result.reason is not None]
    tally.statuses["success"] += len(results) - len(reasons)
    tally.statuses["failed"] += len(reasons) + len(chunk.malformed)
    tally.reasons.update(reason.value for reason in reasons)
    if chunk.malformed:
        tally.reasons["malformed"] += len(chunk.malformed)


def _count_block(tally: Tally, counts: dict[Reason | None, int]) -> None:
    for reason, count in counts.items():
        tally.statuses["success" if reason is None else "failed"] += count
        if reason is not None:
            tally.reasons[reason.value] += count
