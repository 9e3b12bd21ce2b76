"""RecentCredentials: a verified credential is trusted for ``ttl``, never longer, and revocation is immediate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.agents import RecentCredentials

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_trusted_until_the_ttl_runs_out_and_not_a_moment_after():
    recent = RecentCredentials(ttl=timedelta(seconds=30))
    recent.remember("d1.secret", "d1", NOW, recent.revision("d1"))
    assert recent.device_for("d1.secret", NOW + timedelta(seconds=29)) == "d1"
    assert recent.device_for("d1.secret", NOW + timedelta(seconds=30)) is None
    assert recent.device_for("d1.other", NOW) is None


def test_a_new_credential_for_a_device_replaces_its_old_one_and_forget_drops_it():
    recent = RecentCredentials()
    recent.remember("d1.old", "d1", NOW, 0)
    recent.remember("d1.new", "d1", NOW, 0)
    assert recent.device_for("d1.old", NOW) is None and recent.device_for("d1.new", NOW) == "d1"
    recent.forget("d1")
    recent.forget("never-seen")
    assert recent.device_for("d1.new", NOW) is None


def test_a_zero_ttl_remembers_nothing():
    recent = RecentCredentials(ttl=timedelta(0))
    recent.remember("d1.secret", "d1", NOW, recent.revision("d1"))
    assert recent.device_for("d1.secret", NOW) is None


@given(st.lists(st.integers(0, 40), max_size=200), st.integers(1, 10))
def test_never_holds_more_than_its_capacity_and_answers_only_what_it_was_told(devices, capacity):
    recent, told = RecentCredentials(capacity=capacity), {}
    for i, n in enumerate(devices):
        recent.remember(f"d{n}.s{i}", f"d{n}", NOW, 0)
        told[f"d{n}"] = f"d{n}.s{i}"
        assert len(recent._by_digest) <= capacity and len(recent._by_device) <= capacity
    for device, credential in told.items():
        assert recent.device_for(credential, NOW) in (device, None)


def test_a_check_that_was_reading_the_database_when_the_device_was_revoked_caches_nothing():
    recent = RecentCredentials()
    revision = recent.revision("d1")  # the check starts...
    recent.forget("d1")  # ...re-enrolment or decommissioning lands meanwhile...
    recent.remember("d1.old", "d1", NOW, revision)  # ...and the check, done, must not cache the old one
    assert recent.device_for("d1.old", NOW) is None
    recent.remember("d1.new", "d1", NOW, recent.revision("d1"))
    assert recent.device_for("d1.new", NOW) == "d1"
