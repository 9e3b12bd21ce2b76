import random

import pytest

from entrypoints.agent.backoff import Backoff


def test_delays_stay_between_zero_and_the_doubling_ceiling():
    backoff = Backoff(base=1, cap=60, rng=random.Random(3))
    for attempt in range(12):
        ceiling = min(60, 2**attempt)
        assert backoff.ceiling() == ceiling
        assert 0 <= backoff.next_delay() <= ceiling


def test_the_ceiling_never_exceeds_the_cap_even_after_many_failures():
    backoff = Backoff(base=1, cap=60, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(2000)]
    assert max(delays) <= 60 and backoff.ceiling() == 60


def test_full_jitter_spreads_agents_that_failed_together():
    draws = {Backoff(cap=60, rng=random.Random(seed)).next_delay() for seed in range(50)}
    assert len(draws) > 40


def test_a_success_resets_the_ceiling_to_the_base():
    backoff = Backoff(base=0.5, cap=60, rng=random.Random(1))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.ceiling() == 0.5


def test_a_cap_below_the_base_is_refused():
    with pytest.raises(ValueError):
        Backoff(base=10, cap=1)
