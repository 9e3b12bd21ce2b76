"""Native batched quote verifier (ports.verifier.QuoteVerifier) over the cffi module ``native``.

A batch is cut into chunks; each chunk is flattened (native_pack) and verified by one C call, which
releases the GIL, on a thread pool sized to the cores. Flattening chunk k+1 on the calling thread
overlaps with C verifying chunk k, so the Python share of the work hides behind the crypto. Verdicts
equal the pure-Python reference's, quote by quote (tests/integration/native).
"""
from __future__ import annotations

import dataclasses
import os
import threading
import weakref
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache

from native._edgefleet_native import ffi, lib

from adapters.verifiers.native_keys import NativeKeyCache
from adapters.verifiers.native_pack import PackedBatch, pack
from domain.attestation.evidence import REASON_CODES, ClockInfo, QuoteCheck, QuoteResult, Reason

# Status byte -> reason; EF_ST_UNKNOWN_KEY is native-only (the reference has no REASON_CODE for it).
REASONS: list[Reason | None] = [None] * 256
for _reason, _code in REASON_CODES.items():
    REASONS[_code] = _reason
REASONS[lib.EF_ST_UNKNOWN_KEY] = Reason.UNKNOWN_KEY
MALFORMED = QuoteResult(Reason.MALFORMED)


# A result is built per quote, and a frozen dataclass's __init__ pays an object.__setattr__ per field:
# half of the Python time of a cheap quote. These build the same objects by filling __dict__ directly;
# the probe below falls back to the real constructors if the classes ever stop being plain dataclasses.
_new, _set = object.__new__, object.__setattr__


def _fast_clock(clock, reset_count, restart_count, safe):
    obj = _new(ClockInfo)
    _set(obj, "__dict__", {"clock": clock, "reset_count": reset_count, "restart_count": restart_count,
                           "safe": safe})
    return obj


def _fast_result(reason, mismatched_pcrs, clock, firmware_version):
    obj = _new(QuoteResult)
    _set(obj, "__dict__", {"reason": reason, "mismatched_pcrs": mismatched_pcrs, "clock": clock,
                           "firmware_version": firmware_version})
    return obj


def _same_as_constructors() -> bool:
    probe = (Reason.POLICY_MISMATCH, (1,), ClockInfo(1, 2, 3, True), 4)
    try:
        fast = _fast_result(probe[0], probe[1], _fast_clock(1, 2, 3, True), probe[3])
        fields = [f.name for f in dataclasses.fields(QuoteResult) + dataclasses.fields(ClockInfo)]
        return (fast == QuoteResult(*probe) and repr(fast) == repr(QuoteResult(*probe))
                and not hasattr(QuoteResult, "__post_init__") and not hasattr(ClockInfo, "__post_init__")
                and len(fields) == 8)
    except (AttributeError, TypeError):
        return False


_clock_info, _quote_result = (_fast_clock, _fast_result) if _same_as_constructors() else (ClockInfo, QuoteResult)


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
        size = self._chunk_for(len(checks))
        if self.threads == 1 or size >= len(checks):
            results: list[QuoteResult] = []
            for start in range(0, len(checks), size):
                packed = pack(checks[start:start + size], self.keys)
                run(packed, flags)
                results += unpack_results(packed)
            return results
        return self._pipelined(checks, size, flags)

    def _pipelined(self, checks: Sequence[QuoteCheck], size: int, flags: int) -> list[QuoteResult]:
        pool, results = self._executor(), []
        pending: deque[tuple[Future, PackedBatch]] = deque()
        try:
            for start in range(0, len(checks), size):
                if len(pending) >= 2 * self.threads:  # bounded memory: at most this many packed chunks
                    results += _collect(*pending.popleft())
                packed = pack(checks[start:start + size], self.keys)
                pending.append((pool.submit(run, packed, flags), packed))
            while pending:
                results += _collect(*pending.popleft())
        finally:
            for future, _ in pending:  # an error mid-way: never leave a C call running on freed buffers
                future.cancel() or future.exception()
        return results

    def _chunk_for(self, count: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        # Enough chunks to keep every thread busy while the caller packs, few enough to amortise a call.
        return max(256, min(4096, -(-count // (4 * self.threads)))) if count else 1

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="edgefleet-native")
                # a verifier dropped without close() must not leave idle threads behind
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool


def run(packed: PackedBatch, flags: int = 0) -> None:
    """One C call over the whole packed chunk; the GIL is released for its duration."""
    rc = lib.ef_verify_batch(packed.batch, 0, packed.count, flags, packed.out)
    if rc != lib.EF_OK:
        raise NativeVerifierError(f"ef_verify_batch refused the batch (code {rc})")


def _collect(future: Future, packed: PackedBatch) -> list[QuoteResult]:
    future.result()
    return unpack_results(packed)


def unpack_results(packed: PackedBatch) -> list[QuoteResult]:
    """QuoteResults from a packed chunk's output arrays (after ``run``), in input order."""
    n = packed.count
    status = bytes(ffi.buffer(packed.status, n))
    if n and max(status) > lib.EF_ST_UNKNOWN_KEY:
        raise NativeVerifierError(f"unknown native status {max(status)}")
    columns = zip(status, ffi.unpack(packed.clock, n), ffi.unpack(packed.reset_count, n),
                  ffi.unpack(packed.restart_count, n), map(bool, bytes(ffi.buffer(packed.safe, n))),
                  ffi.unpack(packed.firmware, n))
    results: list[QuoteResult] = []
    append, make_result, make_clock, reasons = results.append, _quote_result, _clock_info, REASONS
    for i, (code, clock, resets, restarts, safe, firmware) in enumerate(columns):
        if code == 1:
            append(MALFORMED)  # nothing parsed, so no clock: one shared immutable result
            continue
        mismatched = _mismatched(packed, i) if code == 7 else ()
        append(make_result(reasons[code], mismatched, make_clock(clock, resets, restarts, safe), firmware))
    return results


@lru_cache(maxsize=4096)  # a fleet's failing quotes share a few masks
def _pcrs_of(mask: int) -> tuple[int, ...]:
    return tuple(pcr for pcr in range(32) if mask >> pcr & 1)


def _mismatched(packed: PackedBatch, i: int) -> tuple[int, ...]:
    bits = _pcrs_of(packed.mismatch[i])
    extra = packed.policy_extra.get(i)  # entries C could not take: they mismatch regardless
    return tuple(sorted({*bits, *extra})) if extra else bits
