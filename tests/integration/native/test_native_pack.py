"""pack() lays a plain batch out column by column at C speed; the careful quote-by-quote path is the
definition of the layout. The two must give the C side the same bytes for every batch the fast one takes."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.verifiers.native_keys import NativeKeyCache
from adapters.verifiers.native_pack import (
    PackedBatch,
    _careful_columns,
    _KeyTable,
    _plain_columns,
    _PolicyTable,
)
from tests.integration.native.native_strategies import honest_checks, mutated_checks

LAYOUT = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def layouts(checks):
    cache = NativeKeyCache()
    tables = (_KeyTable(cache), _KeyTable(cache))
    plain = _plain_columns(checks, tables[0], _PolicyTable())
    careful = _careful_columns(checks, tables[1], _PolicyTable(), PackedBatch(len(checks)))
    as_lists = [
        [list(column) for column in columns] if columns is not None else None for columns in (plain, careful)
    ]
    keys = [(table.handles, list(table.schemes), list(table.hashes)) for table in tables]
    return as_lists, keys


def test_plain_batches_of_one_bank_take_the_fast_layout_and_it_equals_the_careful_one(devices):
    @LAYOUT
    @given(st.lists(honest_checks(devices), max_size=12))
    def run(checks):
        (plain, careful), (plain_keys, careful_keys) = layouts(checks)
        if len({check.evidence.hash_alg for check in checks}) > 1:
            assert plain is None  # one bank per fast batch: mixed banks are laid out quote by quote
            return
        assert plain is not None  # honest evidence of one bank must never fall back to the slow path
        assert plain == careful and plain_keys == careful_keys

    run()


def test_whenever_the_fast_layout_is_taken_for_mutated_evidence_it_equals_the_careful_one(devices):
    taken = []

    @LAYOUT
    @given(
        st.lists(mutated_checks(devices, max_mutations=3) | honest_checks(devices), min_size=1, max_size=12)
    )
    def run(checks):
        (plain, careful), (plain_keys, careful_keys) = layouts(checks)
        taken.append(plain is not None)
        if plain is not None:
            assert plain == careful and plain_keys == careful_keys

    run()
    assert any(taken), "the mutations never reached the fast layout"


def test_odd_inputs_send_the_whole_batch_down_the_careful_path(devices):
    @settings(max_examples=10, deadline=None)
    @given(honest_checks(devices))
    def run(honest):
        odd_inputs_fall_back(honest)

    run()


def odd_inputs_fall_back(honest):
    size = honest.evidence.hash_alg.digest_size
    odd = {
        "a bytearray quote": replace(
            honest, evidence=replace(honest.evidence, quote=bytearray(honest.evidence.quote))
        ),
        "a short value and a long one": replace(
            honest, evidence=replace(honest.evidence, pcr_values={0: bytes(size - 1), 1: bytes(size + 1)})
        ),
        "a memoryview of 16-bit items": replace(
            honest,
            evidence=replace(honest.evidence, pcr_values={0: memoryview(bytes(2 * size)).cast("H")[:size]}),
        ),
        "a policy entry C cannot take": replace(honest, policy={40: bytes(size)}),
        "a second bank": replace(honest, evidence=replace(honest.evidence, hash_alg=0x000C)),
    }
    for name, check in odd.items():
        (plain, careful), _ = layouts([honest, check])
        assert plain is None, name
        assert careful is not None, name
