"""Native batched event log replayer (ports.event_log.EventLogReplayer) over ``ef_eventlog_replay``.

A batch is laid out once (the logs back to back, a length per log) and replayed by a few C calls over
disjoint ranges, one per thread, with the GIL released (cffi releases it around every call). Outcomes
equal the Python reference's, log by log (tests/integration/native/test_eventlog_differential.py).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from struct import Struct

from native._edgefleet_native import ffi, lib

from domain.attestation.evidence import HashAlg
from domain.measured_boot.eventlog import EventLogError, LogFault
from domain.measured_boot.replay import Replay
from domain.measured_boot.tcg import MAX_LOG_BYTES, PCR_COUNT

# lib's bank order and where each bank's PCRs start in a log's slot
_BANKS = (int(HashAlg.SHA1), int(HashAlg.SHA256), int(HashAlg.SHA384), int(HashAlg.SHA512))
_SIZES = (20, 32, 48, 64)
_AT = (0, 480, 1248, 2400)
_BANK_VALUES = tuple(Struct(f"{size}s" * PCR_COUNT) for size in _SIZES)  # a bank's 24 values in one call
_FAULTS = {int(f): f for f in LogFault}
_ROUND = 4096  # logs per layout: bounds the copies (a slot is ~4 KiB of outputs)
_MIN_SHARE = 64  # fewer logs than this per thread are not worth a hand-off
assert lib.EF_EL_BANKS == len(_BANKS) and lib.EF_EL_PCR_BYTES == _AT[-1] + PCR_COUNT * _SIZES[-1]
assert lib.EF_EL_MAX_LOG == MAX_LOG_BYTES


class NativeReplayError(RuntimeError):
    """The C call refused the batch itself (a wrapper bug or an OpenSSL failure), not a log."""


class NativeEventLogReplayer:
    """Thread-safe; ``threads`` replay a batch at once, the calling thread included (default: one per core)."""

    name = "native"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = max(1, threads if threads is not None else os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def replay_batch(self, logs: Sequence[bytes]) -> list[Replay | EventLogError]:
        results: list[Replay | EventLogError] = []
        for start in range(0, len(logs), _ROUND):
            results += self._round(logs[start : start + _ROUND])
        return results

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _round(self, logs: Sequence[bytes]) -> list[Replay | EventLogError]:
        n = len(logs)
        # an oversized log is judged here and passed to C as empty (its uint32 length could wrap)
        passed = [log if len(log) <= MAX_LOG_BYTES else b"" for log in logs]
        joined = b"".join(passed)
        lengths = ffi.new("uint32_t[]", [len(log) for log in passed])
        batch = ffi.new(
            "ef_eventlog_batch *",
            {"count": n, "log": ffi.from_buffer(joined), "log_size": len(joined), "log_len": lengths},
        )
        outputs = {
            "status": ffi.new("uint8_t[]", n),
            "offset": ffi.new("uint32_t[]", n),
            "banks": ffi.new("uint8_t[]", n),
            "touched": ffi.new("uint32_t[]", n * len(_BANKS)),
            "pcrs": ffi.new("uint8_t[]", n * lib.EF_EL_PCR_BYTES),
        }
        out = ffi.new("ef_eventlog_results *", outputs)
        self._run(batch, out, n)
        status = bytes(ffi.buffer(outputs["status"], n))
        pcrs = bytes(ffi.buffer(outputs["pcrs"]))
        touched = ffi.unpack(outputs["touched"], n * len(_BANKS))
        results: list[Replay | EventLogError] = []
        for i, log in enumerate(logs):
            if len(log) > MAX_LOG_BYTES:
                results.append(EventLogError(LogFault.LOG_TOO_LARGE, MAX_LOG_BYTES))
            elif status[i]:
                results.append(EventLogError(_FAULTS[status[i]], outputs["offset"][i]))
            else:
                results.append(_replay(pcrs, i, outputs["banks"][i], touched))
        return results

    def _run(self, batch, out, n: int) -> None:
        shares = min(self.threads, max(1, n // _MIN_SHARE))
        bounds = [n * k // shares for k in range(shares + 1)]
        if shares == 1:
            return _call(batch, 0, n, out)
        helpers = [
            self._executor().submit(_call, batch, bounds[k], bounds[k + 1], out) for k in range(1, shares)
        ]
        try:
            _call(batch, 0, bounds[1], out)
        finally:
            errors = [
                h.exception() for h in helpers
            ]  # waits: outputs are read only after every call returned
        for error in errors:
            if error is not None:
                raise error

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="edgefleet-eventlog")
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool


def _call(batch, start: int, end: int, out) -> None:
    rc = lib.ef_eventlog_replay(batch, start, end, out)
    if rc != lib.EF_OK:
        raise NativeReplayError(f"ef_eventlog_replay refused the batch (code {rc})")


def _replay(pcrs: bytes, i: int, bank_bits: int, touched: list[int]) -> Replay:
    base = i * lib.EF_EL_PCR_BYTES
    values, marks = {}, {}
    for b, alg in enumerate(_BANKS):
        if bank_bits >> b & 1:
            values[alg] = _BANK_VALUES[b].unpack_from(pcrs, base + _AT[b])
            marks[alg] = touched[i * len(_BANKS) + b]
    return Replay(values, marks)
