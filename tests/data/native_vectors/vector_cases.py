"""The known-answer cases behind tests/data/native_vectors (see generate.py): at least one per reason,
and the edges of each check (selection order, banks, ECDSA ranges, PCR indexes out of range)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.evidence import HashAlg, KeyType, QuoteCheck, Reason, SigScheme
from domain.attestation.tpm_wire import (
    PcrSelect,
    Signature,
    build_attest,
    build_signature,
    parse_attest,
    parse_signature,
)

NONCE = bytes.fromhex("5e1f0c7a9b3d2e4f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b")
PCRS = [0, 1, 2, 7]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
TPM2_QUOTE = Path(__file__).resolve().parents[1] / "tpm2_quote"

Case = tuple[str, str, QuoteCheck, Reason | None, tuple[int, ...]]


def _device(algorithm: AkAlgorithm, seed: str = "vectors") -> tuple[SimulatedTpm, QuoteCheck]:
    tpm = SimulatedTpm(f"{seed}:{algorithm}", ak=algorithm)
    for pcr in PCRS:
        tpm.pcr_extend(pcr, bytes([0xA0 + pcr]) * 32)
        tpm.pcr_extend(pcr, bytes([0xB0 + pcr]) * 20, HashAlg.SHA1)
    evidence = tpm.quote(NONCE, PCRS)
    return tpm, QuoteCheck(
        evidence, attestation_key_from_public(tpm.ak_public()), NONCE, dict(evidence.pcr_values)
    )


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _evidence(check: QuoteCheck, **changes) -> QuoteCheck:
    return replace(check, evidence=replace(check.evidence, **changes))


def _resigned(tpm: SimulatedTpm, check: QuoteCheck, **changes) -> QuoteCheck:
    quote = build_attest(replace(parse_attest(check.evidence.quote), **changes))
    return _evidence(check, quote=quote, signature=tpm.sign(quote))


def _ecdsa(check: QuoteCheck, r: int | None = None, s: int | None = None, hash_alg: int = HashAlg.SHA256):
    sig = parse_signature(check.evidence.signature)
    r_bytes = sig.r if r is None else r.to_bytes(33, "big")
    s_bytes = sig.s if s is None else s.to_bytes(33, "big")
    return _evidence(
        check, signature=build_signature(Signature(SigScheme.ECDSA, hash_alg, r=r_bytes, s=s_bytes))
    )


def _leading_zero_signature(tpm: SimulatedTpm, check: QuoteCheck) -> QuoteCheck:
    """A quote whose RSA signature starts with a zero byte, sent without it (one in 256 tries)."""
    for attempt in range(5000):
        nonce = attempt.to_bytes(8, "big")
        evidence = tpm.quote(nonce, PCRS)
        sig = parse_signature(evidence.signature)
        if sig.sig[0] == 0:
            short = build_signature(Signature(sig.scheme, sig.hash_alg, sig=sig.sig[1:]))
            return QuoteCheck(replace(evidence, signature=short), check.key, nonce, None)
    raise RuntimeError("no signature with a leading zero byte in 5000 tries")


def honest_cases(ecc, rsassa, rsapss, sha1_ecc) -> Iterator[Case]:
    (ecc_tpm, e), (_, r), (pss_tpm, p) = ecc, rsassa, rsapss
    yield (
        "honest_ecc_p256",
        "ECDSA P-256 / SHA-256 quote over PCRs 0,1,2,7 with a matching policy",
        e,
        None,
        (),
    )
    yield "honest_rsassa_2048", "RSASSA-PKCS1v1.5 2048 / SHA-256", r, None, ()
    yield "honest_rsapss_2048", "RSA-PSS 2048 / SHA-256, salt of digest length", p, None, ()
    yield "honest_sha1_bank", "SHA-1 bank values, digest still SHA-256 (the AK's hash)", sha1_ecc, None, ()
    yield (
        "honest_without_policy",
        "no reference policy: nothing to compare",
        replace(e, policy=None),
        None,
        (),
    )
    empty = ecc_tpm.quote(NONCE, [])
    yield (
        "honest_empty_selection",
        "a quote over no PCRs at all",
        QuoteCheck(empty, e.key, NONCE, {}),
        None,
        (),
    )
    split = (PcrSelect.of(HashAlg.SHA256, [7]), PcrSelect.of(HashAlg.SHA256, [0, 1, 2]))
    values = p.evidence.pcr_values
    digest = hashlib.sha256(b"".join(values[i] for i in (7, 0, 1, 2))).digest()
    yield (
        "honest_two_selections_in_selection_order",
        "the TPM hashes PCRs in selection order: 7 then 0,1,2",
        _resigned(pss_tpm, p, pcr_selections=split, pcr_digest=digest),
        None,
        (),
    )


def malformed_cases(e, r, tpm) -> Iterator[Case]:
    q, s = e.evidence.quote, e.evidence.signature
    yield (
        "malformed_truncated_quote",
        "TPMS_ATTEST cut one byte short",
        _evidence(e, quote=q[:-1]),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_quote_trailing_byte",
        "a byte after the structure",
        _evidence(e, quote=q + b"\0"),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_signature_unknown_algorithm",
        "TPMT_SIGNATURE with sigAlg 0x0010 (TPM_ALG_NULL-ish)",
        _evidence(e, signature=b"\x00\x10" + s[2:]),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_truncated_signature",
        "ECDSA s cut short",
        _evidence(e, signature=s[:-3]),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_pcr_value_wrong_size",
        "a reported SHA-256 value of 31 bytes",
        _evidence(e, pcr_values=dict(e.evidence.pcr_values) | {7: bytes(31)}),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_unknown_bank",
        "evidence claims bank 0x0099",
        _evidence(e, hash_alg=0x0099),
        Reason.MALFORMED,
        (),
    )
    banks = tuple(PcrSelect(HashAlg.SHA256, b"\0\0\0") for _ in range(17))
    yield (
        "malformed_seventeen_banks",
        "17 TPMS_PCR_SELECTIONs (at most 16), correctly signed",
        _resigned(tpm, e, pcr_selections=banks),
        Reason.MALFORMED,
        (),
    )
    yield (
        "malformed_select_bitmap_of_five_bytes",
        "sizeofSelect 5 (at most 4), correctly signed",
        _resigned(tpm, e, pcr_selections=(PcrSelect(HashAlg.SHA256, b"\x87\0\0\0\0"),)),
        Reason.MALFORMED,
        (),
    )
    yield "malformed_empty_quote", "no bytes at all", _evidence(r, quote=b""), Reason.MALFORMED, ()


def early_cases(ecc, rsassa, rsapss) -> Iterator[Case]:
    (tpm, e), (_, r), (_, p) = ecc, rsassa, rsapss
    yield (
        "not_a_quote_magic",
        "magic 0xFF544346, correctly signed",
        _resigned(tpm, e, magic=0xFF544346),
        Reason.NOT_A_QUOTE,
        (),
    )
    yield (
        "not_a_quote_certify_type",
        "type TPM_ST_ATTEST_CERTIFY, correctly signed",
        _resigned(tpm, e, type=0x8017),
        Reason.NOT_A_QUOTE,
        (),
    )
    yield (
        "unknown_key_garbage_spki",
        "the enrolled key bytes are not a SubjectPublicKeyInfo",
        replace(e, key=replace(e.key, spki_der=b"\x30\x03\x02\x01\x00")),
        Reason.UNKNOWN_KEY,
        (),
    )
    yield (
        "unknown_key_type_mislabelled",
        "an EC SPKI recorded as an RSA key",
        replace(e, key=replace(e.key, key_type=KeyType.RSA)),
        Reason.UNKNOWN_KEY,
        (),
    )
    yield (
        "algorithm_mismatch_ecdsa_signature_rsa_key",
        "ECDSA signature checked against an RSA AK",
        replace(e, key=r.key),
        Reason.ALGORITHM_MISMATCH,
        (),
    )
    yield (
        "algorithm_mismatch_pss_signature_rsassa_key",
        "the AK is fixed to RSASSA, the quote is RSA-PSS",
        replace(p, key=replace(p.key, scheme=SigScheme.RSASSA)),
        Reason.ALGORITHM_MISMATCH,
        (),
    )
    yield (
        "algorithm_mismatch_signature_hash_sha1",
        "TPMT_SIGNATURE says SHA-1, the AK's hash is SHA-256",
        _ecdsa(e, hash_alg=HashAlg.SHA1),
        Reason.ALGORITHM_MISMATCH,
        (),
    )
    yield (
        "algorithm_mismatch_key_hash_sha384",
        "the AK record says SHA-384",
        replace(e, key=replace(e.key, hash_alg=HashAlg.SHA384)),
        Reason.ALGORITHM_MISMATCH,
        (),
    )


def signature_cases(ecc, rsassa, rsapss, other_ecc) -> Iterator[Case]:
    (_, e), (rsa_tpm, r), (pss_tpm, p) = ecc, rsassa, rsapss
    yield (
        "honest_rsapss_signature_one_byte_short",
        "a PSS signature with its leading zero byte dropped: OpenSSL accepts it for PSS",
        _leading_zero_signature(pss_tpm, p),
        None,
        (),
    )
    yield (
        "bad_signature_rsassa_one_byte_short",
        "the same for PKCS#1 v1.5: the length must be the modulus size",
        _leading_zero_signature(rsa_tpm, r),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield (
        "bad_signature_ecdsa_bit",
        "one bit of s flipped",
        _evidence(e, signature=_flip(e.evidence.signature, 70)),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield (
        "bad_signature_rsassa_bit",
        "one bit of the RSASSA signature flipped",
        _evidence(r, signature=_flip(r.evidence.signature, 100)),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield (
        "bad_signature_rsapss_bit",
        "one bit of the RSA-PSS signature flipped",
        _evidence(p, signature=_flip(p.evidence.signature, 100)),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield (
        "bad_signature_quote_clock_bit",
        "one bit of the signed clock flipped: signature no longer matches",
        _evidence(e, quote=_flip(e.evidence.quote, len(e.evidence.quote) - 60)),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield "bad_signature_ecdsa_r_zero", "r = 0", _ecdsa(e, r=0), Reason.BAD_SIGNATURE, ()
    yield (
        "bad_signature_ecdsa_s_order",
        "s = the P-256 group order",
        _ecdsa(e, s=P256_ORDER),
        Reason.BAD_SIGNATURE,
        (),
    )
    yield (
        "bad_signature_other_device_key",
        "a valid quote checked against another device's AK",
        replace(e, key=other_ecc.key),
        Reason.BAD_SIGNATURE,
        (),
    )


def late_cases(ecc, rsapss) -> Iterator[Case]:
    (tpm, e), (pss_tpm, p) = ecc, rsapss
    values = dict(e.evidence.pcr_values)
    yield (
        "nonce_mismatch_flipped",
        "expected nonce differs in one bit",
        replace(e, nonce=_flip(NONCE, 5)),
        Reason.NONCE_MISMATCH,
        (),
    )
    yield (
        "nonce_mismatch_shorter",
        "expected nonce is a prefix",
        replace(e, nonce=NONCE[:-1]),
        Reason.NONCE_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_changed_value",
        "reported PCR 7 is not what was quoted",
        _evidence(e, pcr_values=values | {7: bytes(32)}),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_missing_pcr",
        "PCR 2 quoted but not reported",
        _evidence(e, pcr_values={i: v for i, v in values.items() if i != 2}),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_extra_pcr",
        "PCR 9 reported but not quoted",
        _evidence(e, pcr_values=values | {9: bytes(32)}),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_pcr_index_out_of_range",
        "PCR 40 reported: no selection can hold it",
        _evidence(e, pcr_values=values | {40: bytes(32)}),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_selection_of_other_bank",
        "the quote selects SHA-1 PCRs, the evidence is SHA-256",
        _resigned(tpm, e, pcr_selections=(PcrSelect.of(HashAlg.SHA1, PCRS),)),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    twice = (PcrSelect.of(HashAlg.SHA256, PCRS), PcrSelect.of(HashAlg.SHA256, [7]))
    yield (
        "pcr_digest_mismatch_pcr_selected_twice",
        "PCR 7 selected by two selections",
        _resigned(tpm, e, pcr_selections=twice),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "pcr_digest_mismatch_wrong_digest",
        "pcrDigest of other values, correctly signed",
        _resigned(pss_tpm, p, pcr_digest=bytes(32)),
        Reason.PCR_DIGEST_MISMATCH,
        (),
    )
    yield (
        "policy_mismatch_two_values",
        "PCRs 1 and 7 differ from the reference",
        replace(e, policy=values | {7: bytes(32), 1: b"\x11" * 32}),
        Reason.POLICY_MISMATCH,
        (1, 7),
    )
    yield (
        "policy_mismatch_unquoted_pcr",
        "the policy names PCR 9, which was not quoted",
        replace(e, policy=values | {9: bytes(32)}),
        Reason.POLICY_MISMATCH,
        (9,),
    )
    yield (
        "policy_mismatch_index_out_of_range",
        "the policy names PCR 40, which no quote can hold",
        replace(e, policy=values | {40: bytes(32)}),
        Reason.POLICY_MISMATCH,
        (40,),
    )


def tpm2_quote_cases() -> Iterator[Case]:
    """Quotes made by tpm2_quote on swtpm (tests/data/tpm2_quote), when those vectors exist."""
    try:
        from adapters.tpm.tpm2_tools_evidence import (
            attestation_key_from_tpm2_public_file,
            evidence_from_tpm2_quote_files,
        )
    except ImportError:
        return
    for kind in ("ecc", "rsa"):
        d = TPM2_QUOTE / kind
        if not all((d / f).exists() for f in ("ak.pub", "quote.msg", "quote.sig", "quote.pcrs", "nonce.hex")):
            continue
        evidence = evidence_from_tpm2_quote_files(d / "quote.msg", d / "quote.sig", d / "quote.pcrs")
        key = attestation_key_from_tpm2_public_file(d / "ak.pub")
        nonce = bytes.fromhex((d / "nonce.hex").read_text().strip())
        check = QuoteCheck(evidence, key, nonce, dict(evidence.pcr_values))
        yield (
            f"tpm2_quote_{kind}_honest",
            f"tpm2_quote on swtpm, {kind} AK (from tests/data/tpm2_quote)",
            check,
            None,
            (),
        )
        yield (
            f"tpm2_quote_{kind}_bad_signature",
            "the same with the signature's last bit flipped",
            _evidence(check, signature=_flip(evidence.signature, len(evidence.signature) - 1)),
            Reason.BAD_SIGNATURE,
            (),
        )
        yield (
            f"tpm2_quote_{kind}_policy_mismatch",
            "the same against a policy expecting zeros in PCR 7",
            replace(check, policy=dict(evidence.pcr_values) | {7: bytes(32)}),
            Reason.POLICY_MISMATCH,
            (7,),
        )


def all_cases() -> Iterator[Case]:
    ecc, rsassa, rsapss = (_device(a) for a in AkAlgorithm)
    tpm = ecc[0]
    sha1 = tpm.quote(NONCE, PCRS, HashAlg.SHA1)
    sha1_check = QuoteCheck(sha1, ecc[1].key, NONCE, dict(sha1.pcr_values))
    other_ecc = _device(AkAlgorithm.ECC, "vectors-other")[1]
    yield from honest_cases(ecc, rsassa, rsapss, sha1_check)
    yield from malformed_cases(ecc[1], rsassa[1], tpm)
    yield from early_cases(ecc, rsassa, rsapss)
    yield from signature_cases(ecc, rsassa, rsapss, other_ecc)
    yield from late_cases(ecc, rsapss)
    yield from tpm2_quote_cases()
