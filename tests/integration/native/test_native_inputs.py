"""What the wrapper does with inputs that are odd, wrong or cannot be passed to C at all."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.native_batch import NativeQuoteVerifier
from adapters.verifiers.native_keys import NativeKeyCache
from domain.attestation.evidence import HashAlg, QuoteCheck, QuoteEvidence, QuoteResult, Reason
from domain.attestation.tpm_wire import parse_attest

NONCE = bytes(range(20))


@pytest.fixture(scope="module")
def honest() -> QuoteCheck:
    tpm = SimulatedTpm("native:inputs", ak=AkAlgorithm.ECC)
    for pcr in (0, 1, 7):
        tpm.pcr_extend(pcr, bytes([pcr + 1]) * 32)  # distinct non-zero values: zero would match a zero policy
    evidence = tpm.quote(NONCE, [0, 1, 7])
    return QuoteCheck(
        evidence, attestation_key_from_public(tpm.ak_public()), NONCE, dict(evidence.pcr_values)
    )


def test_an_empty_batch_gives_an_empty_list():
    assert NativeQuoteVerifier().verify_batch([]) == []


UNPASSABLE = {
    "quote is not bytes": lambda c: replace(c, evidence=replace(c.evidence, quote="text")),
    "signature is None": lambda c: replace(c, evidence=replace(c.evidence, signature=None)),
    "nonce is an int": lambda c: replace(c, nonce=7),
    "PCR values are not a mapping": lambda c: replace(c, evidence=replace(c.evidence, pcr_values=[1, 2])),
    "a PCR index is a string": lambda c: replace(
        c, evidence=replace(c.evidence, pcr_values={"0": bytes(32)})
    ),
    "a PCR value is a string": lambda c: replace(c, evidence=replace(c.evidence, pcr_values={0: "x" * 32})),
    "the bank is unknown": lambda c: replace(c, evidence=replace(c.evidence, hash_alg=0x0099)),
    "the key is missing": lambda c: replace(c, key=None),
    "the policy is a list": lambda c: replace(c, policy=[bytes(32)]),
    "the whole check is None": lambda c: None,
}


@pytest.mark.parametrize("change", UNPASSABLE.values(), ids=UNPASSABLE.keys())
def test_inputs_that_cannot_be_passed_to_c_are_malformed_and_the_rest_of_the_batch_still_verifies(
    honest, change
):
    results = NativeQuoteVerifier(threads=1).verify_batch([honest, change(honest), honest])
    assert results == [QuoteResult(None), QuoteResult(Reason.MALFORMED), QuoteResult(None)]


def test_bytes_like_inputs_are_accepted_as_the_reference_accepts_them(honest, compare):
    evidence = replace(
        honest.evidence,
        quote=bytearray(honest.evidence.quote),
        signature=memoryview(honest.evidence.signature),
        pcr_values={i: bytearray(v) for i, v in honest.evidence.pcr_values.items()},
    )
    assert compare([replace(honest, evidence=evidence, nonce=bytearray(NONCE))]) == [QuoteResult(None)]


@pytest.mark.parametrize("index", [-1, 24, 32, 255, 256, 10_000])
def test_reported_pcrs_outside_the_quoted_selection_are_a_pcr_digest_mismatch(honest, compare, index):
    pcrs = dict(honest.evidence.pcr_values) | {index: bytes(32)}
    [result] = compare([replace(honest, evidence=replace(honest.evidence, pcr_values=pcrs))])
    assert result.reason is Reason.PCR_DIGEST_MISMATCH


@pytest.mark.parametrize(
    "extra",
    [
        {31: bytes(32)},
        {32: bytes(32)},
        {300: bytes(32)},
        {-2: bytes(32)},
        {1: b"short"},
        {1: "not bytes"},
        {40: bytes(32), 1: bytes(32)},
    ],
)
def test_policy_entries_the_quote_cannot_match_are_listed_as_mismatched_pcrs(honest, compare, extra):
    [result] = compare([replace(honest, policy=dict(honest.policy) | extra)])
    assert result.reason is Reason.POLICY_MISMATCH
    assert set(result.mismatched_pcrs) == set(extra) - {0, 7} and list(result.mismatched_pcrs) == sorted(
        result.mismatched_pcrs
    )


def test_a_wrong_sized_reported_value_is_malformed_even_when_the_total_length_adds_up(honest, compare):
    values = dict(honest.evidence.pcr_values)
    values[0], values[1] = values[0][:-1], values[1] + b"\x00"
    [result] = compare([replace(honest, evidence=replace(honest.evidence, pcr_values=values))])
    assert result.reason is Reason.MALFORMED


def test_a_spki_is_parsed_once_however_many_quotes_and_batches_use_it(honest, monkeypatch):
    loads = []
    real = NativeKeyCache._load
    monkeypatch.setattr(NativeKeyCache, "_load", lambda self, spki: loads.append(spki) or real(self, spki))
    verifier = NativeQuoteVerifier(threads=2, chunk_size=3)
    other_record = replace(honest.key, name=b"another record of the same key")
    for _ in range(3):
        assert all(
            r.ok for r in verifier.verify_batch([honest] * 10 + [replace(honest, key=other_record)] * 5)
        )
    assert loads == [honest.key.spki_der]
    verifier.close()


def test_the_key_cache_stays_bounded_and_evicted_keys_still_verify(devices, honest):
    cache = NativeKeyCache(capacity=2)
    verifier = NativeQuoteVerifier(threads=1, key_cache=cache)
    others = [replace(honest, key=devices.others[a]) for a in AkAlgorithm] + [honest]
    results = verifier.verify_batch(others * 3)
    assert len(cache) <= 2
    assert [r.reason for r in results[-4:]] == [
        Reason.BAD_SIGNATURE,
        Reason.ALGORITHM_MISMATCH,
        Reason.ALGORITHM_MISMATCH,
        None,
    ]


def test_digest_only_checking_skips_the_signature_but_not_the_other_checks(honest):
    verifier = NativeQuoteVerifier(threads=1)
    forged = replace(
        honest, evidence=replace(honest.evidence, signature=honest.evidence.signature[:-1] + b"\x00")
    )
    wrong_nonce = replace(forged, nonce=b"other")
    wrong_policy = replace(forged, policy={0: bytes(32), 5: bytes(32)})
    results = verifier.check_digests([forged, wrong_nonce, wrong_policy])
    assert [(r.reason, r.mismatched_pcrs) for r in results] == [
        (None, ()),
        (Reason.NONCE_MISMATCH, ()),
        (Reason.POLICY_MISMATCH, (0, 5)),
    ]
    assert verifier.verify_batch([forged])[0].reason is Reason.BAD_SIGNATURE


def test_verdicts_carry_the_quotes_clock_and_firmware(honest):
    [result] = NativeQuoteVerifier().verify_batch([honest])
    attest = parse_attest(honest.evidence.quote)
    assert (result.clock, result.firmware_version) == (attest.clock, attest.firmware_version)


def test_a_generator_of_checks_is_accepted_like_a_list(honest):
    assert NativeQuoteVerifier().verify_batch(c for c in [honest, honest]) == [QuoteResult(None)] * 2


def test_evidence_for_another_bank_uses_that_banks_value_size(devices, compare):
    tpm = devices.tpms[AkAlgorithm.RSAPSS]
    evidence = tpm.quote(NONCE, [2, 3], HashAlg.SHA1)
    check = QuoteCheck(evidence, devices.keys[AkAlgorithm.RSAPSS], NONCE, dict(evidence.pcr_values))
    sha256_sized = QuoteEvidence(
        evidence.quote, evidence.signature, {2: bytes(32), 3: bytes(32)}, HashAlg.SHA1
    )
    assert [r.reason for r in compare([check, replace(check, evidence=sha256_sized)])] == [
        None,
        Reason.MALFORMED,
    ]


def test_a_stream_of_ever_new_policies_starts_its_tables_afresh_and_verdicts_stay_right(honest, monkeypatch):
    import adapters.verifiers.native_batch as native_batch

    monkeypatch.setattr(native_batch, "TABLES_LIMIT", 3)
    chunks = [
        (n, [replace(honest, policy=dict(honest.policy))] * 2) for n in range(6)
    ]  # a new policy object each
    for verifier in (NativeQuoteVerifier(threads=1), NativeQuoteVerifier(threads=2)):
        assert [(tag, [r.ok for r in results]) for tag, results in verifier.verify_stream(chunks)] == [
            (n, [True, True]) for n in range(6)
        ]
        verifier.close()
