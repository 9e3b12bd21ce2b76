"""Policy strings, pcr_values and the PolicyPCR digest: strict parsing and known answers from tpm2-tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.errors import ValidationFailed
from domain.sealing import (
    format_policy,
    parse_pcr_values,
    parse_policy,
    policy_pcr_digest,
    values_from_reference,
)

VECTORS = json.loads((Path(__file__).parents[2] / "data/sealing/policy_pcr.json").read_text())["vectors"]
BANKS = {"sha1": HashAlg.SHA1, "sha256": HashAlg.SHA256}
distinct_pcrs = st.lists(st.integers(0, 23), min_size=1, max_size=24, unique=True)


@given(distinct_pcrs)
def test_any_list_of_distinct_pcrs_survives_formatting_and_parsing(pcrs):
    assert parse_policy(format_policy(pcrs)) == pcrs


@given(distinct_pcrs, st.data())
def test_a_policy_naming_a_pcr_twice_is_refused(pcrs, data):
    repeated = data.draw(st.sampled_from(pcrs))
    with pytest.raises(ValidationFailed, match="twice"):
        parse_policy(format_policy([*pcrs, repeated]))


@given(st.integers(24, 10**6))
def test_a_pcr_above_23_is_refused(index):
    with pytest.raises(ValidationFailed):
        parse_policy(f"pcr_0,pcr_{index}")


@given(st.text(max_size=30))
def test_text_outside_the_grammar_is_refused_and_never_half_parsed(text):
    items = [item.strip() for item in text.split(",")]
    well_formed = all(
        i.startswith("pcr_")
        and i[4:].isascii()
        and i[4:].isdigit()
        and str(int(i[4:])) == i[4:]
        and int(i[4:]) <= 23
        for i in items
    )
    if well_formed and len(set(items)) == len(items):
        assert parse_policy(text) == [int(i[4:]) for i in items]
    else:
        with pytest.raises(ValidationFailed):
            parse_policy(text)


@pytest.mark.parametrize(
    "policy",
    [
        "",
        " ",
        "pcr_0,",
        ",pcr_1",
        "pcr_00",
        "PCR_0",
        "pcr0",
        "pcr_-1",
        "pcr_1;pcr_2",
        "pcr_٣",
        "pcr_0,,pcr_1",
    ],
)
def test_malformed_policies_are_validation_errors(policy):
    with pytest.raises(ValidationFailed) as raised:
        parse_policy(policy)
    assert raised.value.code == "VALIDATION_ERROR"


def test_pcr_values_follow_the_policy_order_and_come_back_ascending():
    values = parse_pcr_values([7, 0], ["0x" + "77" * 32, "00" * 32], HashAlg.SHA256)
    assert values == {0: bytes(32), 7: b"\x77" * 32} and list(values) == [0, 7]


@pytest.mark.parametrize(
    "given_values, problem",
    [
        (["0x" + "00" * 32], "names 2 PCRs but 1"),
        (["0x" + "00" * 32] * 3, "names 2 PCRs but 3"),
        (["0x" + "00" * 31, "0x" + "00" * 32], "32 bytes"),
        (["0x" + "zz" * 32, "0x" + "00" * 32], "32 bytes"),
        (["0x" + "00" * 20, "0x" + "00" * 20], "32 bytes"),
    ],
)
def test_pcr_values_must_match_the_policy_in_count_and_digest_size(given_values, problem):
    with pytest.raises(ValidationFailed, match=problem):
        parse_pcr_values([0, 1], given_values, HashAlg.SHA256)


def test_omitted_values_come_from_the_reference_policy_and_a_missing_pcr_is_an_error():
    reference = ReferencePolicy(PolicyScope.for_device("edge-a"), {0: bytes(32), 7: b"\x07" * 32})
    expected = ({0: bytes(32), 7: b"\x07" * 32}, HashAlg.SHA256)
    assert values_from_reference([7, 0], reference, "edge-a") == expected
    with pytest.raises(ValidationFailed, match="lacks pcr_1"):
        values_from_reference([0, 1, 7], reference, "edge-a")
    with pytest.raises(ValidationFailed, match="no reference policy"):
        values_from_reference([0], None, "edge-a")


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['bank']}:{v['pcrs']}")
def test_the_policy_digest_equals_what_tpm2_createpolicy_computes(vector):
    values = {pcr: bytes.fromhex(value) for pcr, value in zip(vector["pcrs"], vector["values"], strict=True)}
    assert policy_pcr_digest(BANKS[vector["bank"]], values).hex() == vector["digest"]


def test_the_policy_digest_depends_on_every_value_and_on_the_selection():
    base = {0: bytes(32), 1: bytes(32), 7: bytes(32)}
    digest = policy_pcr_digest(HashAlg.SHA256, base)
    assert policy_pcr_digest(HashAlg.SHA256, {**base, 7: b"\x01" * 32}) != digest
    assert policy_pcr_digest(HashAlg.SHA256, {0: bytes(32), 1: bytes(32), 8: bytes(32)}) != digest
