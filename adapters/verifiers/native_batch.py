"""Native batched quote verifier (ports.verifier.QuoteVerifier) over the cffi module ``native``.

A batch is verified in rounds. Each round is flattened once (native_pack), then the pool's threads and
the calling thread verify it together: each C call claims a few quotes at a time from the round
(ef_verify_claimed) with the GIL released, so a thread slowed by sharing its core simply claims fewer
and no core waits for another. The calling thread first does the round's Python (the previous round's
results, the next round's flattening) while the pool's threads are already in C, then joins them: the
Python share of the work hides behind the crypto, and one call never keeps more threads busy than
``threads`` (concurrent calls share the pool: a second one waits for its helpers to free up).
Verdicts equal the pure-Python reference's, quote by quote (tests/integration/native).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import lru_cache, partial
from itertools import repeat
from typing import TypeVar

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
T = TypeVar("T")
R = TypeVar("R")
Part = tuple  # (ef_batch *, ef_results *): one C batch of a round and its outputs
TABLES_LIMIT = 16384  # distinct keys plus policies one stream's conversion tables hold at a time


# A result is built per quote: both result types are tuples, so whole columns become objects at C speed.
_new_clock = partial(tuple.__new__, ClockInfo)
_new_result = partial(tuple.__new__, QuoteResult)
# tuple.__new__ skips the NamedTuple's arity check: a field added to either must be filled in below
assert ClockInfo._fields == ("clock", "reset_count", "restart_count", "safe")
assert QuoteResult._fields == ("reason", "mismatched_pcrs", "clock", "firmware_version")


class NativeVerifierError(RuntimeError):
    """The C call refused the batch itself (a wrapper bug or an allocation failure), not a quote."""


class NativeQuoteVerifier:
    """Thread-safe; keys are parsed once per distinct SPKI for the verifier's lifetime (bounded cache).
    ``threads`` verify a batch at once, the calling thread included (default: one per core)."""

    name = "native"

    def __init__(
        self,
        threads: int | None = None,
        *,
        chunk_size: int | None = None,
        key_cache: NativeKeyCache | None = None,
    ) -> None:
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

    def verify_stream(
        self, chunks: Iterable[tuple[T, Sequence[QuoteCheck]]]
    ) -> Iterator[tuple[T, list[QuoteResult]]]:
        """(tag, results) for each (tag, checks) of ``chunks``, in order. The next chunk is pulled from
        ``chunks`` (so whatever produces it, e.g. a parser, runs) and laid out while the pool's threads
        verify the current one, and the consumer's work on a chunk's results also runs while the next
        one is being verified: with N threads, the Python on either side hides behind the crypto."""
        return self._stream(iter(chunks), 0, PackTables(self.keys))

    def _verify(self, checks: Sequence[QuoteCheck], flags: int) -> list[QuoteResult]:
        checks = checks if isinstance(checks, (list, tuple)) else list(checks)
        size = self._round_for(len(checks))
        rounds = ((None, checks[start : start + size]) for start in range(0, len(checks), size))
        results: list[QuoteResult] = []
        for _, chunk_results in self._stream(rounds, flags, PackTables(self.keys)):
            results += chunk_results
        return results

    def _stream(
        self, chunks: Iterator[tuple[T, Sequence[QuoteCheck]]], flags: int, tables: PackTables
    ) -> Iterator[tuple[T, list[QuoteResult]]]:
        pack_checks = self.packer(tables)
        rounds = ((tag, pack_checks(checks)) for tag, checks in chunks)
        for tag, packed in self.verify_rounds(rounds, lambda round_: (round_[1].part,), flags):
            yield tag, unpack_results(packed)

    def packer(self, tables: PackTables | None = None) -> Callable[[Sequence[QuoteCheck]], PackedBatch]:
        """Lays out checks for C, converting keys and policies once for all the batches it packs."""
        current = tables if tables is not None else PackTables(self.keys)

        def pack_checks(checks: Sequence[QuoteCheck]) -> PackedBatch:
            nonlocal current
            if len(current.keys.handles) + len(current.policies.by_id) > TABLES_LIMIT:
                # a long stream of ever new keys or policies: start afresh (a packed round keeps what
                # it points into), so memory and each round's copy of the key table stay bounded
                current = PackTables(self.keys)
            return pack(checks, self.keys, current)

        return pack_checks

    def verify_rounds(
        self, rounds: Iterator[R], parts: Callable[[R], Sequence[Part]], flags: int = 0
    ) -> Iterator[R]:
        """Each round of ``rounds``, in order, once every C batch of it (``parts``: (ef_batch *,
        ef_results *) pairs) is verified. The next round is pulled from ``rounds`` (so whatever prepares
        it, e.g. a parser, runs) while the pool's threads verify the current one, and the consumer's work
        on a round also runs while the next one is being verified: with N threads, the Python on either
        side hides behind the crypto. The pool's threads go on to the next round as soon as the current
        one has no quote left to claim, so they never wait for this thread (descheduled on a loaded
        machine, or busy with Python) to start it."""
        rounds = iter(rounds)
        if self.threads == 1:
            for round_ in rounds:
                for part in parts(round_):
                    run_part(part, flags)
                yield round_
            return
        pool, first = self._executor(), next(rounds, None)
        if first is None:
            return
        # Rounds whose helpers were submitted, oldest first. The pool's work items hold a round and its
        # claims until their C calls return, and a round leaves this queue only once they have, so
        # nothing here (an exception, the consumer dropping the stream) can free a buffer under them.
        launched: deque[tuple[R, list, list[Future]]] = deque([self._launch(pool, first, parts, flags, True)])
        try:
            previous = None
            while launched:
                current, work, helpers = launched[0]
                if previous is not None:
                    yield previous  # the consumer runs while C verifies
                following = next(rounds, None)
                if following is not None:  # queued behind this round's work items in the pool
                    launched.append(self._launch(pool, following, parts, flags, False))
                run_claimed(work, flags)
                wait(helpers)  # the round's outputs are read only once every C call on it has returned
                for helper in helpers:
                    helper.result()  # a helper's NativeVerifierError is the batch's
                launched.popleft()
                previous = current
            if previous is not None:
                yield previous
        finally:
            for _, _, helpers in launched:
                wait(helpers)

    def _launch(self, pool: ThreadPoolExecutor, round_: R, parts, flags: int, enter: bool) -> tuple:
        """Submits a round's work to the pool's threads; with ``enter``, returns once they are in C."""
        work = [(part, ffi.new("ef_claim *")) for part in parts(round_)]
        entered = threading.Semaphore(0) if enter else None
        helpers = [pool.submit(run_claimed, work, flags, entered, round_) for _ in range(self.threads - 1)]
        # A pool thread needs the GIL to reach its C call, and this thread is about to run Python that
        # would hold it for up to the switch interval (5 ms) before handing it over: wait until each
        # helper is in C (the wait releases the GIL to them at once). Later rounds' work items start
        # straight after a C call of the round before, when this thread is in C too, as a rule.
        waiting = len(helpers)
        while entered is not None and waiting:
            if entered.acquire(timeout=0.05):
                waiting -= 1
            elif all(helper.done() for helper in helpers):
                break  # one never entered (the pool is shutting down): result() reports it
        return round_, work, helpers

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
                # the calling thread is the last of ``threads``
                self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="edgefleet-native")
                # a verifier dropped without close() must not leave idle threads behind
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool


def run(packed: PackedBatch, flags: int = 0) -> None:
    """One C call over a whole packed batch; the GIL is released for its duration."""
    run_part(packed.part, flags)


def run_part(part: Part, flags: int = 0) -> None:
    batch, out = part
    rc = lib.ef_verify_batch(batch, 0, batch.count, flags, out)
    if rc != lib.EF_OK:
        raise NativeVerifierError(f"ef_verify_batch refused the batch (code {rc})")


GRAIN = 8  # quotes per claim: a few hundred microseconds of RSA, the most a core can idle at a round's end


def run_claimed(
    work: Sequence[tuple[Part, object]],
    flags: int = 0,
    entered: threading.Semaphore | None = None,
    owner: object = None,
) -> None:
    """Verifies claimed quotes of each (part, claim) of a round until none are left; the GIL is released
    meanwhile. Every thread of a round goes through the parts in the same order. ``owner``, what the
    parts point into, is only held: alive until the calls return."""
    if entered is not None:
        entered.release()  # the calls below are the next thing this thread does with the GIL
    for (batch, out), claim in work:
        rc = lib.ef_verify_claimed(batch, claim, GRAIN, flags, out)
        if rc != lib.EF_OK:
            raise NativeVerifierError(f"ef_verify_claimed refused the batch (code {rc})")


def unpack_results(packed: PackedBatch) -> list[QuoteResult]:
    """QuoteResults from a packed chunk's output arrays (after ``run``), in input order."""
    n = packed.count
    status = bytes(ffi.buffer(packed.status, n))
    if n and max(status) > lib.EF_ST_UNKNOWN_KEY:
        raise NativeVerifierError(f"unknown native status {max(status)}")
    mismatched: Iterable[tuple[int, ...]] = repeat(())
    if lib.EF_ST_POLICY_MISMATCH in status:
        found: list[tuple[int, ...]] = [()] * n
        for i in _positions(status, lib.EF_ST_POLICY_MISMATCH):
            found[i] = _mismatched(packed, i)
        mismatched = found
    safe = map(bool, bytes(ffi.buffer(packed.safe, n)))
    clocks = map(
        _new_clock,
        zip(
            ffi.unpack(packed.clock, n),
            ffi.unpack(packed.reset_count, n),
            ffi.unpack(packed.restart_count, n),
            safe,
        ),
    )
    results = list(
        map(
            _new_result,
            zip(map(REASONS.__getitem__, status), mismatched, clocks, ffi.unpack(packed.firmware, n)),
        )
    )
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
