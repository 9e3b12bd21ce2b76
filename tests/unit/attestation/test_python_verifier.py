"""The reference verifier's individual checks, in the order evidence.py fixes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import HashAlg, QuoteCheck, Reason, SigScheme
from domain.attestation.tpm_wire import (
    PcrSelect,
    Signature,
    build_attest,
    build_signature,
    parse_attest,
    parse_signature,
)

NONCE = bytes(range(32))


@pytest.fixture(scope="module")
def ecc():
    return SimulatedTpm("verifier", ak=AkAlgorithm.ECC)


def check(tpm, evidence=None, *, key=None, nonce=NONCE, policy=None):
    evidence = evidence or tpm.quote(NONCE, [0, 1, 7])
    key = key or attestation_key_from_public(tpm.ak_public())
    [result] = PythonQuoteVerifier().verify_batch([QuoteCheck(evidence, key, nonce, policy)])
    return result


def requote(tpm, evidence, **changes):
    """Re-sign a quote whose fields were edited, as a genuine TPM would have signed them."""
    quote = build_attest(replace(parse_attest(evidence.quote), **changes))
    return replace(evidence, quote=quote, signature=tpm.sign(quote))


def test_a_policy_mismatch_lists_the_differing_pcr_indexes_in_ascending_order(ecc):
    evidence = ecc.quote(NONCE, [0, 1, 2, 7])
    policy = dict(evidence.pcr_values) | {7: b"\x11" * 32, 1: b"\x22" * 32}
    result = check(ecc, evidence, policy=policy)
    assert (result.reason, result.mismatched_pcrs) == (Reason.POLICY_MISMATCH, (1, 7))


def test_a_policy_naming_a_pcr_that_was_not_quoted_is_a_policy_mismatch(ecc):
    evidence = ecc.quote(NONCE, [0, 1])
    result = check(ecc, evidence, policy=dict(evidence.pcr_values) | {9: bytes(32)})
    assert (result.reason, result.mismatched_pcrs) == (Reason.POLICY_MISMATCH, (9,))


def test_reported_pcrs_that_differ_from_the_quoted_selection_are_a_pcr_digest_mismatch(ecc):
    evidence = ecc.quote(NONCE, [0, 1, 7])
    fewer = {i: v for i, v in evidence.pcr_values.items() if i != 7}
    assert check(ecc, replace(evidence, pcr_values=fewer)).reason is Reason.PCR_DIGEST_MISMATCH
    more = dict(evidence.pcr_values) | {8: bytes(32)}
    assert check(ecc, replace(evidence, pcr_values=more)).reason is Reason.PCR_DIGEST_MISMATCH


def test_a_selection_of_another_bank_than_the_evidence_is_a_pcr_digest_mismatch(ecc):
    evidence = ecc.quote(NONCE, [0, 1])
    signed = requote(ecc, evidence, pcr_selections=(PcrSelect.of(HashAlg.SHA1, [0, 1]),))
    assert check(ecc, signed).reason is Reason.PCR_DIGEST_MISMATCH


def test_a_reported_pcr_value_of_the_wrong_size_is_malformed(ecc):
    evidence = ecc.quote(NONCE, [0, 1])
    short = dict(evidence.pcr_values) | {1: bytes(20)}
    assert check(ecc, replace(evidence, pcr_values=short)).reason is Reason.MALFORMED


def test_a_genuine_attestation_of_another_type_is_not_a_quote(ecc):
    evidence = ecc.quote(NONCE, [0])
    assert check(ecc, requote(ecc, evidence, type=0x8017)).reason is Reason.NOT_A_QUOTE


def test_trailing_bytes_after_the_quote_or_signature_are_malformed(ecc):
    evidence = ecc.quote(NONCE, [0])
    assert check(ecc, replace(evidence, quote=evidence.quote + b"\x00")).reason is Reason.MALFORMED
    assert check(ecc, replace(evidence, signature=evidence.signature + b"\x00")).reason is Reason.MALFORMED


def test_a_signature_hash_other_than_the_keys_is_an_algorithm_mismatch(ecc):
    evidence = ecc.quote(NONCE, [0])
    sig = parse_signature(evidence.signature)
    sha384 = build_signature(replace(sig, hash_alg=HashAlg.SHA384))
    assert check(ecc, replace(evidence, signature=sha384)).reason is Reason.ALGORITHM_MISMATCH


def test_an_rsa_signature_scheme_on_an_ecc_key_is_an_algorithm_mismatch(ecc):
    evidence = ecc.quote(NONCE, [0])
    rsa_sig = build_signature(Signature(SigScheme.RSASSA, HashAlg.SHA256, sig=bytes(256)))
    assert check(ecc, replace(evidence, signature=rsa_sig)).reason is Reason.ALGORITHM_MISMATCH


def test_rsapss_from_a_key_fixed_to_rsassa_is_an_algorithm_mismatch_but_fine_when_unfixed():
    pss = SimulatedTpm("verifier", ak=AkAlgorithm.RSAPSS)
    evidence = pss.quote(NONCE, [0])
    key = attestation_key_from_public(pss.ak_public())
    assert key.scheme is SigScheme.RSAPSS
    assert check(pss, evidence, key=replace(key, scheme=SigScheme.RSASSA)).reason is Reason.ALGORITHM_MISMATCH
    assert check(pss, evidence, key=replace(key, scheme=None)).ok


def test_a_quote_signed_by_another_devices_ak_is_a_bad_signature(ecc):
    other = SimulatedTpm("someone-else")
    assert check(ecc, other.quote(NONCE, [0])).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("r, s", [(0, 1), (1, 0), (2**256 - 1, 1)])
def test_ecdsa_r_or_s_zero_or_out_of_range_is_a_bad_signature(ecc, r, s):
    evidence = ecc.quote(NONCE, [0])
    r_bytes, s_bytes = r.to_bytes(32, "big"), s.to_bytes(32, "big")
    sig = build_signature(Signature(SigScheme.ECDSA, HashAlg.SHA256, r=r_bytes, s=s_bytes))
    assert check(ecc, replace(evidence, signature=sig)).reason is Reason.BAD_SIGNATURE


def test_an_ak_record_whose_spki_does_not_load_is_an_unknown_key(ecc):
    key = attestation_key_from_public(ecc.ak_public())
    assert check(ecc, key=replace(key, spki_der=b"junk")).reason is Reason.UNKNOWN_KEY


def test_signature_failures_come_before_the_nonce(ecc):
    other = SimulatedTpm("someone-else")
    assert check(ecc, other.quote(b"x" * 32, [0])).reason is Reason.BAD_SIGNATURE


def test_a_batch_keeps_input_order_and_decodes_each_key_once(ecc, monkeypatch):
    from adapters.verifiers import python_ref

    loads = []
    real = python_ref.serialization.load_der_public_key
    counting = lambda der: loads.append(der) or real(der)  # noqa: E731
    monkeypatch.setattr(python_ref.serialization, "load_der_public_key", counting)
    key = attestation_key_from_public(ecc.ak_public())
    good = ecc.quote(NONCE, [0])
    checks = [QuoteCheck(good, key, NONCE), QuoteCheck(good, key, b"n" * 32), QuoteCheck(good, key, NONCE)]
    results = PythonQuoteVerifier().verify_batch(checks)
    assert [r.reason for r in results] == [None, Reason.NONCE_MISMATCH, None]
    assert len(loads) == 1
