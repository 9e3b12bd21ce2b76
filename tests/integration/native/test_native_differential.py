"""The native verifier gives the pure-Python reference's verdict for every quote, whatever was done to it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.attestation.evidence import Reason
from domain.measured_boot.check import EVENT_LOG_REASONS  # judged after the quote, not by quote verifiers
from tests.integration.native.native_strategies import honest_checks, mutated_checks

DIFFERENTIAL = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def batches(devices, *kinds: str, max_size: int = 6):
    checks = mutated_checks(devices, kinds) if kinds else honest_checks(devices)
    return st.lists(checks, min_size=1, max_size=max_size)


def test_honest_quotes_of_every_algorithm_verify_natively_as_in_python(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices))
    def run(checks):
        assert all(result.ok for result in compare(checks))

    run()


def test_bit_flips_in_quotes_and_signatures_get_the_reference_verdicts(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices, "flip_quote", "flip_signature"))
    def run(checks):
        compare(checks)

    run()


def test_truncated_extended_and_random_blobs_get_the_reference_verdicts(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices, "truncate", "extend", "random_bytes"))
    def run(checks):
        compare(checks)

    run()


def test_re_signed_edits_of_attest_fields_get_the_reference_verdicts(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices, "resigned_edit"))
    def run(checks):
        compare(checks)

    run()


def test_changed_pcr_values_nonces_and_policies_get_the_reference_verdicts(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices, "edit_pcrs", "edit_nonce", "edit_policy"))
    def run(checks):
        compare(checks)

    run()


def test_wrong_keys_and_ecdsa_edge_values_get_the_reference_verdicts(devices, compare):
    @DIFFERENTIAL
    @given(batches(devices, "wrong_key", "ecdsa_edge"))
    def run(checks):
        compare(checks)

    run()


def test_mixed_batches_of_every_mutation_get_the_reference_verdicts_quote_by_quote(devices, compare):
    seen: set[Reason | None] = set()

    # derandomize: the coverage assertion below must not depend on the luck of one run
    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(mutated_checks(devices, max_mutations=3) | honest_checks(devices), min_size=1, max_size=12)
    )
    def run(checks):
        seen.update(result.reason for result in compare(checks))

    run()
    # the strategies must reach every verdict, or the comparison proves less than it claims
    assert seen >= {None, *Reason} - {
        Reason.NONCE_EXPIRED,
        Reason.NONCE_REUSED,
        Reason.CLOCK_ROLLBACK,
        *EVENT_LOG_REASONS,
    }
