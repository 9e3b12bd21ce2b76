"""Native batched quote verifier (ports.verifier.QuoteVerifier) over the cffi module ``native``.

A batch is verified in rounds. Each round is flattened once (native_pack) and every thread of a pool
sized to the cores verifies an equal share of it in one C call, which releases the GIL. While a round
runs, the calling thread flattens the next one and turns the previous one's output into results, so the
Python share of the work hides behind the crypto; it is done before the shares are, so a finishing C
call never queues for a GIL held by a busy Python loop (which costs up to the 5 ms switch interval).
Verdicts equal the pure-Python reference's, quote by quote (tests/integration/native).
"""
from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache, partial
from itertools import repeat

from native._edgefleet_native import ffi, lib

from adapters.verifiers.native_keys import NativeKeyCache
from adapters.verifiers.native_pack import PackedBatch, PackTables, pack
from domain.attestation.evidence import REASON_CODES, ClockInfo, QuoteCheck, QuoteResult, Reason

# Status byte -> reason; EF_ST_UNKNOWN_KEY is native-only (the reference has no REASON_CODE for it).
REASONS: list[Reason | None] = [None] * 256
for _reason, _code in REASON_CODES.items():
    REASONS[_code] = _reason
REASONS[lib.EF_ST_UNKNOWN_KEY] = Reason.UNKNOWN_KEY
MALFORMED = QuoteResult(Reason.MALFORMED)


# A result is built per quote: both result types are tuples, so whole columns become objects at C speed.
_new_clock = partial(tuple.__new__, ClockInfo)
_new_result = partial(tuple.__new__, QuoteResult)


class NativeVerifierError(RuntimeError):
    """The C call refused the batch itself (a wrapper bug or an allocation failure), not a quote."""


class NativeQuoteVerifier:
    """Thread-safe; keys are parsed once per distinct SPKI for the verifier's lifetime (bounded cache)."""

    name = "native"

    def __init__(self, threads: int | None = None, *, chunk_size: int | None = None,
                 key_cache: NativeKeyCache | None = None) -> None:
        self.threads = max(1, threads if threads is not None else os.cpu_count() or 1)
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.chunk_size = chunk_size
        self.keys = key_cache or NativeKeyCache()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def verify_batch(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]:
        return self._verify(checks, 0)

    def check_digests(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]:
        """Every check except key, algorithm and signature: NOT an attestation verdict. For measuring
        and for pre-screening evidence whose signatures are checked elsewhere."""
        return self._verify(checks, lib.EF_DIGEST_ONLY)

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _verify(self, checks: Sequence[QuoteCheck], flags: int) -> list[QuoteResult]:
        checks = checks if isinstance(checks, (list, tuple)) else list(checks)
        size, tables = self._round_for(len(checks)), PackTables(self.keys)
        if self.threads == 1:
            results: list[QuoteResult] = []
            for start in range(0, len(checks), size):
                packed = pack(checks[start:start + size], self.keys, tables)
                run(packed, flags)
                results += unpack_results(packed)
            return results
        return self._in_rounds(checks, size, flags, tables)

    def _in_rounds(self, checks: Sequence[QuoteCheck], size: int, flags: int, tables: PackTables) -> list[QuoteResult]:
        pool, results = self._executor(), []
        current = pack(checks[:size], self.keys, tables)
        running = self._start(pool, current, flags)
        try:
            for start in range(size, len(checks), size):
                following = pack(checks[start:start + size], self.keys, tables)  # overlaps this round's C calls
                _wait(running)
                running = self._start(pool, following, flags)
                results += unpack_results(current)  # overlaps the next round's C calls
                current = following
            _wait(running)
        finally:
            for future in running:  # an error mid-way: never leave a C call running on freed buffers
                future.cancel() or future.exception()
        return results + unpack_results(current)

    def _start(self, pool: ThreadPoolExecutor, packed: PackedBatch, flags: int) -> list[Future]:
        share = -(-packed.count // self.threads) or 1
        entered = threading.Semaphore(0)
        futures = [pool.submit(run, packed, flags, start, min(packed.count, start + share), entered)
                   for start in range(0, packed.count, share)]
        # A pool thread needs the GIL to reach its C call; this thread is about to run Python for a while,
        # and would hold the GIL for up to the switch interval (5 ms) before handing it over. Blocking
        # here until every share has entered C releases it to each of them at once.
        waiting = len(futures)
        while waiting:
            if entered.acquire(timeout=0.05):
                waiting -= 1
            elif all(future.done() for future in futures):
                break  # one never entered (the pool is shutting down): _wait reports it
        return futures

    def _round_for(self, count: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        if self.threads == 1:
            return 4096  # bounds the flattened copy; larger gains nothing
        # ~8 rounds: the first round's packing and the last one's results are not overlapped, and each
        # round costs a wake-up of the pool
        return max(512, min(16384, -(-count // 8))) if count else 1

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="edgefleet-native")
                # a verifier dropped without close() must not leave idle threads behind
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool


def run(packed: PackedBatch, flags: int = 0, start: int = 0, end: int | None = None,
        entered: threading.Semaphore | None = None) -> None:
    """One C call over quotes [start, end) of a packed round; the GIL is released for its duration."""
    if entered is not None:
        entered.release()  # the call below is the next thing this thread does with the GIL
    rc = lib.ef_verify_batch(packed.batch, start, packed.count if end is None else end, flags, packed.out)
    if rc != lib.EF_OK:
        raise NativeVerifierError(f"ef_verify_batch refused the batch (code {rc})")


def _wait(futures: list[Future]) -> None:
    for future in futures:
        future.result()


def unpack_results(packed: PackedBatch) -> list[QuoteResult]:
    """QuoteResults from a packed chunk's output arrays (after ``run``), in input order."""
    n = packed.count
    status = bytes(ffi.buffer(packed.status, n))
    if n and max(status) > lib.EF_ST_UNKNOWN_KEY:
        raise NativeVerifierError(f"unknown native status {max(status)}")
    mismatched = repeat(())
    if lib.EF_ST_POLICY_MISMATCH in status:
        mismatched = [()] * n
        for i in _positions(status, lib.EF_ST_POLICY_MISMATCH):
            mismatched[i] = _mismatched(packed, i)
    safe = map(bool, bytes(ffi.buffer(packed.safe, n)))
    clocks = map(_new_clock, zip(ffi.unpack(packed.clock, n), ffi.unpack(packed.reset_count, n),
                                 ffi.unpack(packed.restart_count, n), safe))
    results = list(map(_new_result, zip(map(REASONS.__getitem__, status), mismatched, clocks,
                                        ffi.unpack(packed.firmware, n))))
    for i in _positions(status, lib.EF_ST_MALFORMED):
        results[i] = MALFORMED  # nothing parsed, so no clock: one shared immutable result
    return results


def _positions(status: bytes, code: int):
    i = status.find(code)
    while i >= 0:
        yield i
        i = status.find(code, i + 1)


@lru_cache(maxsize=4096)  # a fleet's failing quotes share a few masks
def _pcrs_of(mask: int) -> tuple[int, ...]:
    return tuple(pcr for pcr in range(32) if mask >> pcr & 1)


def _mismatched(packed: PackedBatch, i: int) -> tuple[int, ...]:
    bits = _pcrs_of(packed.mismatch[i])
    extra = packed.policy_extra.get(i)  # entries C could not take: they mismatch regardless
    return tuple(sorted({*bits, *extra})) if extra else bits
