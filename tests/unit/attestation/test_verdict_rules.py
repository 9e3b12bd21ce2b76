"""How a verifier result, nonce freshness and the clock baseline combine into a verdict."""

from __future__ import annotations

import pytest

from domain.attestation.evidence import ClockInfo, HashAlg, QuoteResult, Reason
from domain.attestation.nonce import Nonce, NonceStatus
from domain.attestation.verdict import judge, rolled_back

from .conftest import START

BASE = ClockInfo(clock=1000, reset_count=3, restart_count=2, safe=True)


def result(reason=None, clock=BASE, mismatched=()):
    return QuoteResult(reason, mismatched, clock, 7)


def verdict(res, nonce=NonceStatus.VALID, last=BASE):
    return judge("edge-001", {0: bytes(32)}, HashAlg.SHA256, res, nonce, last, START)


@pytest.mark.parametrize(
    "current, expected",
    [
        (ClockInfo(1000, 3, 2, True), False),
        (ClockInfo(2000, 3, 2, True), False),
        (ClockInfo(999, 3, 2, True), True),
        (ClockInfo(5000, 3, 1, True), True),
        (ClockInfo(9999, 2, 9, True), True),
        (ClockInfo(1, 4, 0, True), False),
    ],
)
def test_rollback_means_reset_count_lower_or_same_epoch_with_restart_or_clock_lower(current, expected):
    assert rolled_back(BASE, current) is expected


@pytest.mark.parametrize(
    "status, reason",
    [
        (NonceStatus.EXPIRED, "nonce_expired"),
        (NonceStatus.REUSED, "nonce_reused"),
        (NonceStatus.UNKNOWN, "nonce_mismatch"),
    ],
)
def test_a_stale_nonce_outranks_pcr_and_policy_failures(status, reason):
    assert verdict(result(), status).reasons == [reason]
    assert verdict(result(Reason.POLICY_MISMATCH, mismatched=(7,)), status).reasons == [reason]
    assert verdict(result(Reason.PCR_DIGEST_MISMATCH), status).reasons == [reason]


def test_signature_failures_outrank_a_stale_nonce_and_their_clock_is_not_trusted():
    failed = verdict(result(Reason.BAD_SIGNATURE, clock=ClockInfo(0, 0, 0, True)), NonceStatus.EXPIRED)
    assert failed.reasons == ["bad_signature"]
    assert failed.clock is None and failed.firmware_version is None


def test_clock_rollback_is_only_reported_when_everything_else_passed():
    old = ClockInfo(10, 3, 2, True)
    assert verdict(result(clock=old)).reasons == ["clock_rollback"]
    assert verdict(result(Reason.POLICY_MISMATCH, clock=old, mismatched=(1,))).reasons == ["policy_mismatch"]


def test_a_higher_reset_count_is_a_reboot_not_a_failure():
    rebooted = verdict(result(clock=ClockInfo(5, 4, 0, True)))
    assert rebooted.succeeded and rebooted.reboot_observed


def test_the_first_quote_of_a_device_has_no_baseline_to_roll_back_from():
    first = verdict(result(clock=ClockInfo(0, 0, 0, False)), last=None)
    assert first.succeeded and not first.reboot_observed


def test_mismatched_pcrs_are_kept_only_for_a_policy_mismatch():
    assert verdict(result(Reason.POLICY_MISMATCH, mismatched=(1, 7))).mismatched_pcrs == [1, 7]
    stale = verdict(result(Reason.POLICY_MISMATCH, mismatched=(1, 7)), NonceStatus.REUSED)
    assert stale.mismatched_pcrs == []


def test_nonces_are_random_at_least_16_bytes_and_expire_after_their_ttl():
    a, b = Nonce.issue("edge-001", START), Nonce.issue("edge-001", START)
    assert a.value != b.value and len(a.value) >= 16
    assert not a.expired(START)
    assert a.expired(a.expires_at)
    with pytest.raises(ValueError):
        Nonce("edge-001", b"short", START, START)
