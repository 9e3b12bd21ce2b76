"""The native module's PCR digest against hashlib (known answers and hypothesis)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.native_digest import pcr_digest_sha256


def test_known_answer_for_three_zero_pcrs():
    values = [bytes(32)] * 3
    assert pcr_digest_sha256(values).hex() == hashlib.sha256(bytes(96)).hexdigest()


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=24))
def test_digest_equals_sha256_of_the_concatenation(values):
    assert pcr_digest_sha256(values) == hashlib.sha256(b"".join(values)).digest()


@pytest.mark.parametrize("values", [[b"short"], [bytes(32), bytes(20)], ["not bytes"]])
def test_wrong_sized_or_typed_values_are_refused_before_the_call(values):
    with pytest.raises(ValueError):
        pcr_digest_sha256(values)
