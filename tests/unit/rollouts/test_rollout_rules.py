"""The rollout's pure rules: phase sizes, thresholds, the next move, the send budget, state machines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Conflict, ValidationFailed
from domain.rollouts import (
    Artifact,
    FailureReason,
    Move,
    PhaseCounts,
    Plan,
    Rollout,
    RolloutState,
    RolloutTarget,
    TargetState,
    Thresholds,
    failure_of_command,
    next_move,
    send_budget,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ARTIFACT = Artifact("https://fw.example/a.bin", "ab" * 32, 10)


def rollout(**plan) -> Rollout:
    p = Plan(**plan)
    return Rollout("r", "g", "2.0", ARTIFACT, p, p.phase_sizes(50), "admin", NOW, id=7)


def test_canary_five_then_half_then_all_of_fifty():
    assert Plan(canary=5, percentages=(50, 100)).phase_sizes(50) == [5, 20, 25]


def test_small_groups_drop_empty_phases():
    assert Plan(canary=5, percentages=(50, 100)).phase_sizes(3) == [3]
    assert Plan(canary=0, percentages=(10, 100)).phase_sizes(4) == [1, 3]


@given(
    total=st.integers(1, 5000),
    canary=st.integers(0, 200),
    cuts=st.lists(st.integers(1, 99), max_size=5, unique=True),
)
def test_phases_cover_every_target_once_with_the_canary_first(total, canary, cuts):
    plan = Plan(canary=canary, percentages=(*sorted(cuts), 100))
    sizes = plan.phase_sizes(total)
    assert sum(sizes) == total and all(s > 0 for s in sizes)
    if canary:
        assert sizes[0] == min(canary, total)


@given(failed=st.integers(0, 99), size=st.integers(1, 100), percent=st.floats(0, 100))
def test_a_percentage_threshold_never_trips_on_zero_and_stays_tripped_as_failures_grow(failed, size, percent):
    failed, limit = min(failed, size - 1), Thresholds(max_failure_percent=percent)
    assert not limit.exceeded(0, size)
    if limit.exceeded(failed, size):
        assert limit.exceeded(failed + 1, size)
    assert limit.exceeded(size, size) == (percent < 100)


def test_count_thresholds_and_no_threshold():
    assert not Thresholds(max_failures=1).exceeded(1, 5)
    assert Thresholds(max_failures=1).exceeded(2, 5)
    assert Thresholds(max_failures=0).exceeded(1, 100)
    assert not Thresholds().exceeded(100, 100)


@pytest.mark.parametrize(
    "values",
    [
        {"max_failures": -1},
        {"max_failure_percent": 101},
        {"max_failure_percent": -0.5},
    ],
)
def test_thresholds_out_of_range_are_refused(values):
    with pytest.raises(ValidationFailed):
        Thresholds(**values)


@pytest.mark.parametrize(
    "plan",
    [
        {"percentages": (50,)},
        {"percentages": (50, 50, 100)},
        {"percentages": ()},
        {"percentages": (0, 100)},
        {"max_in_flight": 0},
        {"rate_per_minute": 0},
        {"device_deadline_seconds": 5},
        {"canary": -1},
    ],
)
def test_plans_out_of_range_are_refused(plan):
    with pytest.raises(ValidationFailed):
        Plan(**plan)


def test_artifacts_need_a_sha256_a_size_and_an_http_url():
    for bad in (("ftp://x/a", "ab" * 32, 1), ("https://x/a", "AB" * 32, 1), ("https://x/a", "ab" * 32, 0)):
        with pytest.raises(ValidationFailed):
            Artifact(*bad)


def counts(size, **states) -> PhaseCounts:
    return PhaseCounts(size, {k: v for k, v in states.items()})


def test_the_next_move_waits_for_the_phase_then_moves_on_or_completes():
    t = Thresholds(max_failures=0)
    assert next_move(0, [counts(2, in_flight=1, succeeded=1), counts(3)], t) is Move.CONTINUE
    assert next_move(0, [counts(2, succeeded=2), counts(3)], t) is Move.NEXT_PHASE
    assert next_move(1, [counts(2, succeeded=2), counts(3, succeeded=3)], t) is Move.COMPLETE
    assert next_move(0, [counts(2, failed=1, in_flight=1), counts(3)], t) is Move.ABORT


def test_failures_under_the_threshold_let_the_phase_complete():
    t = Thresholds(max_failure_percent=50)
    assert next_move(0, [counts(4, succeeded=2, failed=2)], t) is Move.COMPLETE


@given(
    in_flight=st.integers(1, 50),
    busy=st.integers(0, 60),
    rate=st.integers(1, 50),
    sent=st.integers(0, 60),
    pending=st.integers(0, 100),
)
def test_the_send_budget_never_exceeds_in_flight_rate_or_pending(in_flight, busy, rate, sent, pending):
    plan = Plan(max_in_flight=in_flight, rate_per_minute=rate)
    budget = send_budget(plan, busy, sent, pending)
    assert (
        0 <= budget <= pending and busy + budget <= max(busy, in_flight) and sent + budget <= max(sent, rate)
    )


def test_a_device_is_proven_updated_only_through_every_step():
    target = RolloutTarget(7, "d", 0)
    target.sent(11, "1.0", NOW)
    with pytest.raises(Conflict):
        target.succeed(NOW)  # not verified yet
    target.installed(NOW)
    target.verifying(NOW)
    target.succeed(NOW)
    assert target.state is TargetState.SUCCEEDED and target.settled
    with pytest.raises(Conflict):
        target.fail(FailureReason.DEADLINE, "late", NOW)


def test_deadlines_and_command_outcomes():
    target = RolloutTarget(7, "d", 0)
    target.sent(1, None, NOW)
    assert not target.overdue(timedelta(seconds=60), NOW + timedelta(seconds=59))
    assert target.overdue(timedelta(seconds=60), NOW + timedelta(seconds=60))
    assert failure_of_command("rejected") is FailureReason.COMMAND_FAILED
    assert failure_of_command("timed_out") is FailureReason.COMMAND_TIMED_OUT
    assert failure_of_command("running") is None and failure_of_command("succeeded") is None


def test_the_rollout_state_machine():
    r = rollout(canary=5, percentages=(50, 100))
    r.start(NOW)
    r.pause(NOW)
    with pytest.raises(Conflict):
        r.pause(NOW)
    r.resume(NOW)
    r.next_phase(NOW)
    r.next_phase(NOW)
    with pytest.raises(Conflict):
        r.next_phase(NOW)
    r.complete(NOW)
    assert r.state is RolloutState.COMPLETED and not r.active
    for action in (r.resume, r.cancel, r.pause):
        with pytest.raises(Conflict):
            action(NOW)
    stopped = rollout()
    stopped.cancel(NOW)
    assert stopped.state is RolloutState.CANCELED and stopped.reason


def test_the_idempotency_key_is_the_rollout_and_the_device():
    assert rollout().idempotency_key("sim-001") == "rollout:7:sim-001"
