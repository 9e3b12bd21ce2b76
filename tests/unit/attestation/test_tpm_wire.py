"""TPM marshalling: exact round trips, and nothing but WireError from bytes that are not the structure."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.attestation.evidence import ClockInfo, HashAlg, SigScheme
from domain.attestation.marshal import WireError
from domain.attestation.tpm_public import (
    TPM_ALG_ECC,
    TPM_ALG_NULL,
    TPM_ALG_RSA,
    EccCurve,
    ObjectAttr,
    PublicArea,
    SymDef,
)
from domain.attestation.tpm_wire import (
    Attest,
    PcrSelect,
    Signature,
    build_attest,
    build_public,
    build_signature,
    parse_attest,
    parse_public,
    parse_signature,
    tpm_name,
)

FAST = settings(max_examples=60, deadline=None)
u16, u32, u64 = (st.integers(0, 2**n - 1) for n in (16, 32, 64))
clocks = st.builds(ClockInfo, clock=u64, reset_count=u32, restart_count=u32, safe=st.booleans())
selections = st.builds(PcrSelect, hash_alg=u16, select=st.binary(max_size=4))
attests = st.builds(
    Attest,
    qualified_signer=st.binary(max_size=70),
    extra_data=st.binary(max_size=70),
    clock=clocks,
    firmware_version=u64,
    pcr_selections=st.lists(selections, max_size=16).map(tuple),
    pcr_digest=st.binary(max_size=64),
    magic=u32,
    type=u16,
)
signatures = st.one_of(
    st.builds(
        Signature,
        scheme=st.sampled_from([SigScheme.RSASSA, SigScheme.RSAPSS]),
        hash_alg=u16,
        sig=st.binary(max_size=512),
    ),
    st.builds(
        Signature,
        scheme=st.just(SigScheme.ECDSA),
        hash_alg=u16,
        r=st.binary(max_size=66),
        s=st.binary(max_size=66),
    ),
)
hash_algs = st.sampled_from(list(HashAlg))
symmetric = st.none() | st.builds(SymDef, st.sampled_from([0x0006, 0x0013, 0x0026]), u16, u16)
rsa_publics = st.builds(
    PublicArea,
    type=st.just(TPM_ALG_RSA),
    name_alg=hash_algs,
    attributes=u32,
    auth_policy=st.binary(max_size=64),
    symmetric=symmetric,
    scheme=st.sampled_from([0x0014, 0x0016, 0x0017]),
    scheme_hash=u16,
    key_bits=u16,
    exponent=u32,
    modulus=st.binary(max_size=512),
) | st.builds(
    PublicArea,
    type=st.just(TPM_ALG_RSA),
    name_alg=hash_algs,
    attributes=u32,
    scheme=st.sampled_from([0x0015, TPM_ALG_NULL]),
    key_bits=u16,
    modulus=st.binary(max_size=256),
)
ecc_publics = st.builds(
    PublicArea,
    type=st.just(TPM_ALG_ECC),
    name_alg=hash_algs,
    attributes=u32,
    auth_policy=st.binary(max_size=64),
    symmetric=symmetric,
    scheme=st.sampled_from([0x0018, 0x0019, 0x001B, 0x001C, 0x001D]),
    scheme_hash=u16,
    curve=u16,
    kdf=st.sampled_from([TPM_ALG_NULL, 0x0007, 0x0020]),
    x=st.binary(max_size=66),
    y=st.binary(max_size=66),
).map(lambda a: a if a.kdf == TPM_ALG_NULL else PublicArea(**{**vars(a), "kdf_hash": 0x000B})) | st.builds(
    PublicArea,
    type=st.just(TPM_ALG_ECC),
    name_alg=hash_algs,
    attributes=u32,
    scheme=st.just(0x001A),
    scheme_hash=u16,
    scheme_count=u16,
    curve=u16,
    x=st.binary(max_size=66),
    y=st.binary(max_size=66),
)


@FAST
@given(attests)
def test_any_attest_round_trips_byte_exactly(attest):
    data = build_attest(attest)
    assert parse_attest(data) == attest
    assert build_attest(parse_attest(data)) == data


@FAST
@given(signatures)
def test_any_signature_round_trips_byte_exactly(sig):
    assert parse_signature(build_signature(sig)) == sig


@FAST
@given(rsa_publics | ecc_publics)
def test_any_rsa_or_ecc_public_area_round_trips_byte_exactly(area):
    data = build_public(area)
    assert parse_public(data) == area
    assert tpm_name(data)[:2] == area.name_alg.to_bytes(2, "big")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_parsers_raise_only_wire_error_on_random_bytes(data):
    for parse in (parse_attest, parse_signature, parse_public):
        try:
            parse(data)
        except WireError:
            pass


@FAST
@given(attests | signatures | rsa_publics | ecc_publics, st.data())
def test_any_truncation_or_extension_is_a_wire_error(structure, data):
    build = {Attest: build_attest, Signature: build_signature, PublicArea: build_public}[type(structure)]
    parse = {Attest: parse_attest, Signature: parse_signature, PublicArea: parse_public}[type(structure)]
    encoded = build(structure)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(WireError):
        parse(encoded[:cut])
    with pytest.raises(WireError):
        parse(encoded + data.draw(st.binary(min_size=1, max_size=8)))


def _quote_with(selections) -> bytes:
    return build_attest(Attest(b"", b"", ClockInfo(0, 0, 0, True), 0, tuple(selections), b""))


def test_sixteen_pcr_banks_parse_but_seventeen_are_malformed():
    parse_attest(_quote_with([PcrSelect(0x000B, b"\x01")] * 16))
    with pytest.raises(WireError, match="17 PCR banks"):
        parse_attest(_quote_with([PcrSelect(0x000B, b"\x01")] * 17))


def test_a_select_bitmap_longer_than_four_bytes_is_malformed():
    parse_attest(_quote_with([PcrSelect(0x000B, b"\xff" * 4)]))
    with pytest.raises(WireError, match="bitmap"):
        parse_attest(_quote_with([PcrSelect(0x000B, b"\xff" * 5)]))


@pytest.mark.parametrize("alg", [0x0000, 0x0005, 0x0010, 0x001A, 0x001B, 0x001C])
def test_signature_algorithms_other_than_rsassa_rsapss_ecdsa_are_malformed(alg):
    with pytest.raises(WireError, match="unknown signature algorithm"):
        parse_signature(alg.to_bytes(2, "big") + b"\x00\x0b\x00\x00")


@pytest.mark.parametrize("type_", [0x0008, 0x0025, 0x0000])
def test_public_areas_other_than_rsa_and_ecc_are_rejected(type_):
    body = type_.to_bytes(2, "big") + b"\x00\x0b" + bytes(4) + b"\x00\x00"
    with pytest.raises(WireError, match="unsupported public key type"):
        parse_public(len(body).to_bytes(2, "big") + body)


def test_a_public_area_whose_inner_size_disagrees_with_its_content_is_rejected():
    data = build_public(PublicArea(TPM_ALG_ECC, HashAlg.SHA256, 0, curve=EccCurve.NIST_P256))
    with pytest.raises(WireError):
        parse_public((int.from_bytes(data[:2], "big") + 1).to_bytes(2, "big") + data[2:] + b"\x00")


def test_pcr_select_lists_indexes_in_ascending_bitmap_order():
    assert PcrSelect.of(HashAlg.SHA256, [7, 0, 16, 1]).pcrs == (0, 1, 7, 16)
    assert PcrSelect.of(HashAlg.SHA256, [7, 0]).select == b"\x81\x00\x00"
    assert PcrSelect.of(HashAlg.SHA256, [31]).select == b"\x00\x00\x00\x80"
    with pytest.raises(ValueError):
        PcrSelect.of(HashAlg.SHA256, [32])


def test_the_name_hashes_the_public_area_without_its_size_prefix():
    area = PublicArea(
        TPM_ALG_ECC,
        HashAlg.SHA256,
        int(ObjectAttr.SIGN),
        curve=EccCurve.NIST_P256,
        scheme=0x0018,
        scheme_hash=HashAlg.SHA256,
        x=b"\x01" * 32,
        y=b"\x02" * 32,
    )
    data = build_public(area)
    assert tpm_name(data) == b"\x00\x0b" + hashlib.sha256(data[2:]).digest()
