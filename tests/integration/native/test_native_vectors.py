"""Known-answer vectors (tests/data/native_vectors, made by generate.py there): both verifiers agree with
what each vector says, one at a time and all in one batch."""

from __future__ import annotations

import pytest

from adapters.verifiers.native_batch import NativeQuoteVerifier
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import Reason
from domain.measured_boot.check import EVENT_LOG_REASONS  # judged after the quote, not by quote verifiers
from tests.data.native_vectors.generate import load_all

VECTORS = load_all()


def test_the_vectors_cover_every_verdict_a_verifier_gives_and_tpm2_quote_output():
    reasons = {expected.reason for _, expected in VECTORS.values()}
    assert reasons == {None, *Reason} - {
        Reason.NONCE_EXPIRED,
        Reason.NONCE_REUSED,
        Reason.CLOCK_ROLLBACK,
        *EVENT_LOG_REASONS,
    }
    assert any(name.startswith("tpm2_quote_") for name in VECTORS)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_each_vector_gets_its_expected_verdict_from_both_verifiers(name):
    check, expected = VECTORS[name]
    assert NativeQuoteVerifier(threads=1).verify_batch([check]) == [expected]
    assert PythonQuoteVerifier().verify_one(check) == expected


def test_all_vectors_in_one_batch_over_threads_get_their_verdicts_in_order():
    checks, expected = zip(*VECTORS.values(), strict=True)
    verifier = NativeQuoteVerifier(threads=2, chunk_size=5)
    try:
        assert verifier.verify_batch(list(checks)) == list(expected)
    finally:
        verifier.close()
