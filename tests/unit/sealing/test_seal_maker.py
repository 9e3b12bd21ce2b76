"""The server-side import blob: what the sealed object allows, which parents it accepts, and that
no byte string makes the device side fail with anything but UnsealFailed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tpm.unseal_simulated import import_and_unseal
from domain.attestation.marshal import WireError
from domain.attestation.tpm_public import ObjectAttr
from domain.sealing import SealedBlob, UnsealFailed
from domain.sealing.sealed_object import parse_sealed_public
from tests.unit.sealing.conftest import seal_blob

POLICY = bytes(range(32))


def test_the_sealed_object_answers_only_to_its_policy_and_can_be_imported(device_a, maker):
    public, _, _ = maker.make_import_blob(device_a.ek_public(), POLICY, b"k" * 32)
    area = parse_sealed_public(public)
    assert area.auth_policy == POLICY
    assert area.attributes & (ObjectAttr.USER_WITH_AUTH | ObjectAttr.FIXED_TPM | ObjectAttr.FIXED_PARENT) == 0
    assert area.attributes & ObjectAttr.ADMIN_WITH_POLICY and area.attributes & ObjectAttr.NO_DA


def test_each_blob_has_its_own_seed_and_obfuscation_even_for_the_same_key(device_a, maker):
    first, second = seal_blob(maker, device_a), seal_blob(maker, device_a)
    assert first != second and SealedBlob.parse(first).public != SealedBlob.parse(second).public


@pytest.mark.parametrize("secret", [b"", b"x" * 129])
def test_a_tpm_seals_between_1_and_128_bytes(device_a, maker, secret):
    with pytest.raises(ValueError, match="1-128"):
        maker.make_import_blob(device_a.ek_public(), POLICY, secret)


def test_only_a_restricted_decryption_key_can_be_the_parent(device_a, maker):
    with pytest.raises(ValueError, match="restricted decryption"):
        maker.make_import_blob(device_a.ak_public(), POLICY, b"k" * 32)
    with pytest.raises(ValueError, match="trailing"):
        maker.make_import_blob(device_a.ek_public() + b"\x00", POLICY, b"k" * 32)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_fail_to_unseal_only_as_unseal_failed(device_a, data):
    with pytest.raises(UnsealFailed):
        import_and_unseal(device_a, data)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_truncated_blob_never_parses(device_a, maker, data):
    blob = seal_blob(maker, device_a)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(WireError):
        SealedBlob.parse(blob[:cut])
