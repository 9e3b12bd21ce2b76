"""Properties of the reference verifier against the simulated TPM: honest quotes pass, any flipped bit fails
with the reason the check order predicts."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import HashAlg, QuoteCheck, Reason
from domain.attestation.tpm_wire import WireError, parse_attest, parse_signature

FAST = settings(max_examples=60, deadline=None)
VERIFIER = PythonQuoteVerifier()
algorithms = st.sampled_from(list(AkAlgorithm))
nonces = st.binary(min_size=16, max_size=64)
selections = st.sets(st.integers(0, 23), min_size=1, max_size=24).map(sorted)
banks = st.sampled_from([HashAlg.SHA1, HashAlg.SHA256])


@cache
def key_of(algorithm: AkAlgorithm):
    return attestation_key_from_public(SimulatedTpm("props", ak=algorithm).ak_public())


def honest(algorithm, nonce, pcrs, bank=HashAlg.SHA256):
    return SimulatedTpm("props", ak=algorithm).quote(nonce, pcrs, bank)


def verify(evidence, algorithm, nonce, policy=None):
    [result] = VERIFIER.verify_batch([QuoteCheck(evidence, key_of(algorithm), nonce, policy)])
    return result


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def quote_regions(quote: bytes) -> list[tuple[int, int, str]]:
    """(start, end, kind) over TPMS_ATTEST: header, size (a length or count) or signed content."""
    attest = parse_attest(quote)
    regions, pos = [(0, 6, "header")], 6
    for length, kind in [
        (2, "size"),
        (len(attest.qualified_signer), "content"),
        (2, "size"),
        (len(attest.extra_data), "content"),
        (17 + 8, "content"),
        (4, "size"),
    ]:
        regions.append((pos, pos + length, kind))
        pos += length
    for sel in attest.pcr_selections:
        for length, kind in [(2, "content"), (1, "size"), (len(sel.select), "content")]:
            regions.append((pos, pos + length, kind))
            pos += length
    regions += [(pos, pos + 2, "size"), (pos + 2, len(quote), "content")]
    return regions


def parses(parse, data: bytes) -> bool:
    try:
        parse(data)
    except WireError:
        return False
    return True


@FAST
@given(algorithms, nonces, selections, banks)
def test_honest_quotes_always_verify(algorithm, nonce, pcrs, bank):
    evidence = honest(algorithm, nonce, pcrs, bank)
    result = verify(evidence, algorithm, nonce, policy=dict(evidence.pcr_values))
    assert result.ok, result
    assert result.clock is not None and result.firmware_version is not None


@settings(max_examples=100, deadline=None)
@given(algorithms, nonces, selections, st.data())
def test_flipping_any_bit_of_the_quote_fails_with_the_reason_its_field_predicts(algorithm, nonce, pcrs, data):
    evidence = honest(algorithm, nonce, pcrs)
    bit = data.draw(st.integers(0, len(evidence.quote) * 8 - 1))
    tampered = flip(evidence.quote, bit)
    [kind] = [k for start, end, k in quote_regions(evidence.quote) if start <= bit // 8 < end]
    if kind == "header":
        expected = Reason.NOT_A_QUOTE
    elif kind == "size" and not parses(parse_attest, tampered):
        expected = Reason.MALFORMED
    else:  # still a well-formed quote, so the signature over it is what breaks
        expected = Reason.BAD_SIGNATURE
    assert verify(replace(evidence, quote=tampered), algorithm, nonce).reason is expected


@settings(max_examples=100, deadline=None)
@given(algorithms, nonces, st.data())
def test_flipping_any_bit_of_the_signature_fails_with_the_reason_its_field_predicts(algorithm, nonce, data):
    evidence = honest(algorithm, nonce, [0, 7])
    bit = data.draw(st.integers(0, len(evidence.signature) * 8 - 1))
    tampered = flip(evidence.signature, bit)
    offset = bit // 8
    sizes = (4, 38) if algorithm is AkAlgorithm.ECC else (4,)  # TPM2B sizes: r and s, or sig
    if offset < 2:  # sigAlg: another known scheme for this key, or an unknown one
        expected = Reason.ALGORITHM_MISMATCH if parses(parse_signature, tampered) else Reason.MALFORMED
    elif offset < 4:  # hash
        expected = Reason.ALGORITHM_MISMATCH
    elif any(size <= offset < size + 2 for size in sizes):
        expected = Reason.BAD_SIGNATURE if parses(parse_signature, tampered) else Reason.MALFORMED
    else:
        expected = Reason.BAD_SIGNATURE
    assert verify(replace(evidence, signature=tampered), algorithm, nonce).reason is expected


@FAST
@given(algorithms, nonces, selections, st.data())
def test_flipping_any_bit_of_a_reported_pcr_value_is_a_pcr_digest_mismatch(algorithm, nonce, pcrs, data):
    evidence = honest(algorithm, nonce, pcrs)
    pcr = data.draw(st.sampled_from(pcrs))
    values = dict(evidence.pcr_values)
    values[pcr] = flip(values[pcr], data.draw(st.integers(0, 255)))
    result = verify(replace(evidence, pcr_values=values), algorithm, nonce, policy=dict(evidence.pcr_values))
    assert result.reason is Reason.PCR_DIGEST_MISMATCH


@FAST
@given(algorithms, nonces, st.data())
def test_flipping_any_bit_of_the_nonce_is_a_nonce_mismatch(algorithm, nonce, data):
    evidence = honest(algorithm, nonce, [0, 1, 7])
    other = flip(nonce, data.draw(st.integers(0, len(nonce) * 8 - 1)))
    assert verify(evidence, algorithm, other).reason is Reason.NONCE_MISMATCH


extends = st.lists(
    st.tuples(st.integers(0, 23), banks, st.binary(min_size=64, max_size=64)),
    max_size=20,
)


@FAST
@given(algorithms, extends, selections, banks, nonces)
def test_any_extend_sequence_gives_a_quote_that_verifies_with_the_replayed_values(
    algorithm, steps, pcrs, bank, nonce
):
    tpm = SimulatedTpm("props", ak=algorithm)
    model = {(b, i): bytes(b.digest_size) for b in (HashAlg.SHA1, HashAlg.SHA256) for i in range(24)}
    for pcr, step_bank, material in steps:
        digest = material[: step_bank.digest_size]
        tpm.pcr_extend(pcr, digest, step_bank)
        name = step_bank.name.lower()
        model[step_bank, pcr] = hashlib.new(name, model[step_bank, pcr] + digest).digest()
    evidence = tpm.quote(nonce, pcrs, bank)
    assert evidence.pcr_values == {i: model[bank, i] for i in pcrs}
    assert verify(evidence, algorithm, nonce, policy={i: model[bank, i] for i in pcrs}).ok
