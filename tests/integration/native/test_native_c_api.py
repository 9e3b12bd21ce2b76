"""The C API itself: its status codes are the contract's, and it refuses batches it cannot read safely."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from native._edgefleet_native import ffi, lib

from adapters.tpm.simulated import AkAlgorithm
from adapters.verifiers.native_batch import NativeQuoteVerifier, run, unpack_results
from adapters.verifiers.native_keys import NativeKeyCache
from adapters.verifiers.native_pack import pack
from domain.attestation.evidence import REASON_CODES, QuoteCheck, QuoteResult, Reason


def test_native_status_codes_are_the_contracts_reason_codes():
    native = {
        name[len("EF_ST_") :].lower(): getattr(lib, name) for name in dir(lib) if name.startswith("EF_ST_")
    }
    assert native.pop("ok") == 0
    assert native.pop("unknown_key") not in REASON_CODES.values()
    assert {Reason(name): code for name, code in native.items()} == REASON_CODES


def test_key_loading_takes_exactly_one_rsa_or_ec_spki(devices):
    ecc, rsa = devices.keys[AkAlgorithm.ECC].spki_der, devices.keys[AkAlgorithm.RSASSA].spki_der
    assert lib.ef_key_type(ffi.gc(lib.ef_key_load(ecc, len(ecc)), lib.ef_key_free)) == lib.EF_KEY_ECC
    assert lib.ef_key_type(ffi.gc(lib.ef_key_load(rsa, len(rsa)), lib.ef_key_free)) == lib.EF_KEY_RSA
    for bad in (b"", b"\x30\x00", ecc[:-1], ecc + b"\x00", b"\x00" * 91):
        assert lib.ef_key_load(bad, len(bad)) == ffi.NULL
    lib.ef_key_free(ffi.NULL)  # freeing nothing is allowed, as free(NULL) is


@pytest.fixture(scope="module")
def checks(devices) -> list[QuoteCheck]:
    nonce = b"n" * 32
    out = []
    for algorithm in AkAlgorithm:
        evidence = devices.tpms[algorithm].quote(nonce, [0, 1, 2])
        out.append(QuoteCheck(evidence, devices.keys[algorithm], nonce, dict(evidence.pcr_values)))
    return out


def test_a_batch_whose_lengths_overrun_its_buffers_is_refused_whole(checks):
    packed = pack(checks, NativeKeyCache())
    packed.batch.quote_size -= 1  # one byte less than the lengths add up to
    assert lib.ef_verify_batch(packed.batch, 0, packed.count, 0, packed.out) == lib.EF_ERR_ARGS
    packed.batch.quote_size += 1
    packed.batch.sig = ffi.NULL
    assert lib.ef_verify_batch(packed.batch, 0, packed.count, 0, packed.out) == lib.EF_ERR_ARGS


@pytest.mark.parametrize("start,end", [(2, 1), (0, 4), (4, 4)])
def test_ranges_outside_the_batch_are_refused(checks, start, end):
    packed = pack(checks, NativeKeyCache())
    assert lib.ef_verify_batch(packed.batch, start, end, 0, packed.out) == lib.EF_ERR_ARGS
    assert lib.ef_verify_batch(ffi.NULL, 0, 0, 0, packed.out) == lib.EF_ERR_ARGS


def test_a_key_slot_past_the_key_table_makes_that_quote_malformed(checks):
    packed = pack(checks, NativeKeyCache())
    ffi.cast("uint32_t *", packed.batch.key_index)[1] = packed.batch.key_count
    run(packed)
    assert [r.reason for r in unpack_results(packed)] == [None, Reason.MALFORMED, None]


def test_disjoint_ranges_of_one_batch_verify_concurrently_to_the_same_verdicts(checks):
    packed = pack(checks * 200, NativeKeyCache())
    threads = [
        threading.Thread(target=lib.ef_verify_batch, args=(packed.batch, lo, lo + 150, 0, packed.out))
        for lo in range(0, 600, 150)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.ok for r in unpack_results(packed))


def mixed(checks) -> list[QuoteCheck]:
    """Honest quotes and quotes with the wrong nonce, interleaved: every position has a verdict to get right."""
    return [
        check if i % 3 else QuoteCheck(check.evidence, check.key, b"stale", check.policy)
        for i, check in enumerate(checks * 100)
    ]


def test_threads_claiming_grains_of_one_batch_give_the_verdicts_of_one_call(checks):
    batch = mixed(checks)
    whole = pack(batch, NativeKeyCache())
    run(whole)
    for grain, threads in ((1, 4), (7, 3), (64, 2), (1000, 2)):
        packed, claim = pack(batch, NativeKeyCache()), ffi.new("ef_claim *")
        codes: list[int] = []

        def claim_until_done(packed=packed, claim=claim, grain=grain, codes=codes):
            codes.append(lib.ef_verify_claimed(packed.batch, claim, grain, 0, packed.out))

        workers = [threading.Thread(target=claim_until_done) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert codes == [lib.EF_OK] * threads
        assert claim.next >= len(batch)  # everything was claimed
        assert unpack_results(packed) == unpack_results(whole)


def test_a_claim_with_nothing_left_returns_at_once_and_writes_nothing(checks):
    packed, claim = pack(checks, NativeKeyCache()), ffi.new("ef_claim *")
    claim.next = len(checks)
    ffi.buffer(packed.status, len(checks))[:] = b"\xee" * len(checks)
    assert lib.ef_verify_claimed(packed.batch, claim, 4, 0, packed.out) == lib.EF_OK
    assert bytes(ffi.buffer(packed.status, len(checks))) == b"\xee" * len(checks)


def test_claims_that_could_wrap_or_never_end_are_refused(checks):
    packed, claim = pack(checks, NativeKeyCache()), ffi.new("ef_claim *")
    for grain in (0, (1 << 20) + 1):
        assert lib.ef_verify_claimed(packed.batch, claim, grain, 0, packed.out) == lib.EF_ERR_ARGS
    claim.next = 2**63 + 5  # an add of every thread could wrap back into the batch
    assert lib.ef_verify_claimed(packed.batch, claim, 1, 0, packed.out) == lib.EF_ERR_ARGS
    claim.next = 0
    assert lib.ef_verify_claimed(packed.batch, ffi.NULL, 1, 0, packed.out) == lib.EF_ERR_ARGS
    assert lib.ef_verify_claimed(ffi.NULL, claim, 1, 0, packed.out) == lib.EF_ERR_ARGS
    packed.batch.quote_size -= 1
    assert lib.ef_verify_claimed(packed.batch, claim, 1, 0, packed.out) == lib.EF_ERR_ARGS
    assert claim.next == 0  # refused before claiming anything


def test_the_c_call_releases_the_gil_so_python_threads_run_meanwhile(checks):
    packed = pack([checks[0]] * 3000, NativeKeyCache())  # ECDSA: a few hundred milliseconds of C
    span: list[float] = []

    def call():
        span.append(time.perf_counter())
        run(packed)
        span.append(time.perf_counter())

    worker, ticks = threading.Thread(target=call), []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    worker.join()
    start, end = span
    inside = [t for t in ticks if start + 0.02 < t < end - 0.02]
    assert end - start > 0.1 and len(inside) >= 10


def test_a_big_batch_over_the_thread_pool_gives_the_single_thread_verdicts(checks):
    batch = checks * 700
    pooled = NativeQuoteVerifier(threads=4, chunk_size=97)
    try:
        assert pooled.verify_batch(batch) == NativeQuoteVerifier(threads=1).verify_batch(batch)
    finally:
        pooled.close()


def test_one_verifier_serves_concurrent_callers_with_their_own_verdicts(checks):
    verifier = NativeQuoteVerifier(threads=2, chunk_size=16)
    wrong_nonce = [QuoteCheck(c.evidence, c.key, b"other", c.policy) for c in checks]
    batches = [checks * 40, wrong_nonce * 40] * 3
    try:
        with ThreadPoolExecutor(6) as callers:
            results = list(callers.map(verifier.verify_batch, batches))
    finally:
        verifier.close()
    for batch, got in zip(batches, results, strict=True):
        expected = (
            QuoteResult(None) if batch[0].nonce == checks[0].nonce else QuoteResult(Reason.NONCE_MISMATCH)
        )
        assert got == [expected] * len(batch)
