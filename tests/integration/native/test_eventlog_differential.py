"""The native event log replay gives the Python reference's outcome for every log, whatever was done to it:
the same PCR values per bank, or the same fault at the same byte offset."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.measured_boot.native_replay import NativeEventLogReplayer
from adapters.measured_boot.python_replay import PythonEventLogReplayer
from domain.measured_boot.eventlog import EventLogError, LogFault
from domain.measured_boot.tcg import MAX_LOG_BYTES
from tests.integration.native.eventlog_strategies import damaged_logs, logs

DIFFERENTIAL = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "eventlogs"
REFERENCE = PythonEventLogReplayer()
SINGLE = NativeEventLogReplayer(threads=1)
POOLED = NativeEventLogReplayer(threads=3)


def outcome(result):
    return (result.fault, result.offset) if isinstance(result, EventLogError) else result


def assert_same(batch: list[bytes]) -> list:
    expected = [outcome(r) for r in REFERENCE.replay_batch(batch)]
    for native in (SINGLE, POOLED):
        assert [outcome(r) for r in native.replay_batch(batch)] == expected
    return expected


@DIFFERENTIAL
@given(st.lists(logs(), min_size=1, max_size=5))
def test_well_formed_logs_of_any_bank_mix_replay_natively_as_in_python(batch):
    assert all(not isinstance(r, tuple) for r in assert_same(batch))


@DIFFERENTIAL
@given(st.lists(damaged_logs(), min_size=1, max_size=5))
def test_damaged_logs_get_the_reference_outcome_and_offset(batch):
    assert_same(batch)


@DIFFERENTIAL
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=5))
def test_random_bytes_get_the_reference_outcome(batch):
    assert_same(batch)


def test_every_truncation_of_every_real_log_gets_the_reference_fault():
    for path in sorted(FIXTURES.glob("*.bin")):
        data = path.read_bytes()
        cuts = [data[:n] for n in range(0, len(data), max(1, len(data) // 300))]
        outcomes = assert_same([data, *cuts])
        assert not isinstance(outcomes[0], tuple), path.name
        # a cut at a record boundary is a shorter log; anywhere else the record it cuts is truncated
        assert all(o[0] is LogFault.TRUNCATED for o in outcomes[1:] if isinstance(o, tuple))


def test_a_batch_of_many_logs_split_over_threads_keeps_input_order():
    real = [p.read_bytes() for p in sorted(FIXTURES.glob("*.bin"))]
    batch = [log[:n] for n in (len(log) for log in real) for log in real] * 20  # ~2000 logs, good and cut
    assert len(batch) > 1000
    assert_same(batch)


def test_an_oversized_log_is_refused_before_the_c_call():
    [result] = SINGLE.replay_batch([bytes(MAX_LOG_BYTES + 1)])
    assert (result.fault, result.offset) == (LogFault.LOG_TOO_LARGE, MAX_LOG_BYTES)


def test_an_empty_batch_replays_to_nothing():
    assert SINGLE.replay_batch([]) == []


@pytest.fixture(scope="module", autouse=True)
def _close_pool():
    yield
    POOLED.close()
