"""Sign-in and account management against fakes: tokens for the right password only, one message for
unknown names and wrong passwords, disabled accounts refused, failures throttled per name and address,
and every attempt audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.clock import FakeClock
from adapters.memory.users import InMemoryAuditLog, InMemoryUserRepository
from domain.access import Role
from domain.errors import ValidationFailed
from domain.services.sign_in import SignIn
from domain.services.user_accounts import UserAccounts
from domain.users import (
    AccountDisabled,
    InvalidCredentials,
    LoginThrottle,
    LoginThrottled,
    UserExists,
    UserNotFound,
)


class PlainHasher:
    """Stands in for argon2id: a hash is the password behind a version tag."""

    version = "v2"

    def hash(self, password: str) -> str:
        return f"{self.version}:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.split(":", 1)[1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"{self.version}:")


class Tokens:
    def issue(self, subject, role, ttl, now) -> str:
        return f"token-for-{subject}-{role}-{int(ttl.total_seconds())}"


@pytest.fixture
def world():
    clock, users, audit, hasher = FakeClock(), InMemoryUserRepository(), InMemoryAuditLog(), PlainHasher()
    accounts = UserAccounts(users, hasher, clock)
    sign_in = SignIn(users, hasher, Tokens(), audit, clock, timedelta(minutes=30))
    return clock, users, audit, accounts, sign_in


async def test_the_right_password_buys_a_token_for_the_users_role_and_is_audited(world):
    clock, _, audit, accounts, sign_in = world
    await accounts.create("olga", Role.OPERATOR, "long enough")
    session = await sign_in.sign_in("olga", "long enough", "10.0.0.1", "req-1")
    assert session.token == "token-for-olga-operator-1800" and session.role is Role.OPERATOR
    assert session.expires_at == clock.now() + timedelta(minutes=30) and session.expires_in == 1800
    [record] = audit.records
    assert (
        record.actor,
        record.role,
        record.action,
        record.outcome,
        record.client_address,
        record.request_id,
    ) == ("olga", "operator", "login", 200, "10.0.0.1", "req-1")


async def test_unknown_names_and_wrong_passwords_get_the_same_refusal(world):
    _, _, audit, accounts, sign_in = world
    await accounts.create("olga", Role.OPERATOR, "long enough")
    with pytest.raises(InvalidCredentials) as wrong:
        await sign_in.sign_in("olga", "not it", "10.0.0.1")
    with pytest.raises(InvalidCredentials) as unknown:
        await sign_in.sign_in("nobody", "not it", "10.0.0.1")
    assert wrong.value.message == unknown.value.message
    assert [(r.actor, r.outcome) for r in audit.records] == [("olga", 401), ("nobody", 401)]


async def test_a_disabled_account_is_refused_even_with_its_password(world):
    _, _, audit, accounts, sign_in = world
    await accounts.create("dora", Role.ADMIN, "long enough")
    await accounts.disable("dora")
    with pytest.raises(AccountDisabled):
        await sign_in.sign_in("dora", "long enough", "10.0.0.1")
    assert audit.records[-1].outcome == 403


async def test_five_failures_lock_that_name_from_that_address_for_five_minutes(world):
    clock, _, audit, accounts, sign_in = world
    await accounts.create("olga", Role.OPERATOR, "long enough")
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await sign_in.sign_in("olga", "guess", "10.0.0.9")
    with pytest.raises(LoginThrottled) as throttled:
        await sign_in.sign_in("olga", "long enough", "10.0.0.9")  # even the right password waits
    assert 0 < throttled.value.retry_after <= 301 and audit.records[-1].outcome == 429
    assert (await sign_in.sign_in("olga", "long enough", "10.0.0.1")).subject == "olga"  # the owner elsewhere
    clock.advance(minutes=5, seconds=1)
    assert (await sign_in.sign_in("olga", "long enough", "10.0.0.9")).subject == "olga"


async def test_a_success_forgets_earlier_failures(world):
    _, _, _, accounts, sign_in = world
    await accounts.create("olga", Role.OPERATOR, "long enough")
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await sign_in.sign_in("olga", "guess", "10.0.0.9")
    await sign_in.sign_in("olga", "long enough", "10.0.0.9")
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await sign_in.sign_in("olga", "guess", "10.0.0.9")
    await sign_in.sign_in("olga", "long enough", "10.0.0.9")


async def test_an_outdated_hash_is_replaced_at_the_next_sign_in(world):
    _, users, _, accounts, sign_in = world
    await accounts.create("olga", Role.OPERATOR, "long enough")
    stored = users.users["olga"]
    stored.password_hash = "v1:long enough"
    await sign_in.sign_in("olga", "long enough", "10.0.0.1")
    assert users.users["olga"].password_hash == "v2:long enough"


async def test_accounts_check_names_and_passwords_and_refuse_duplicates(world):
    _, users, _, accounts, _ = world
    with pytest.raises(ValidationFailed):
        await accounts.create("bad name", Role.VIEWER, "long enough")
    with pytest.raises(ValidationFailed):
        await accounts.create("vera", Role.VIEWER, "short")
    await accounts.create("vera", Role.VIEWER, "long enough")
    with pytest.raises(UserExists):
        await accounts.create("vera", Role.ADMIN, "long enough")
    await accounts.set_password("vera", "another long one")
    assert users.users["vera"].password_hash == "v2:another long one"
    with pytest.raises(UserNotFound):
        await accounts.disable("nobody")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["ip1", "ip2"]),
            st.integers(min_value=0, max_value=400),
        ),
        max_size=40,
    )
)
def test_the_throttle_never_refuses_a_pair_with_fewer_than_five_recent_failures(events):
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=5, window=timedelta(minutes=5))
    history: dict[tuple[str, str], list] = {}
    for name, address, seconds in events:
        now = clock.advance(seconds=seconds)
        recent = [t for t in history.get((name, address), []) if now - t < timedelta(minutes=5)]
        try:
            throttle.check(name, address, now)
            refused = False
        except LoginThrottled:
            refused = True
        assert refused == (len(recent) >= 5)
        if not refused:
            throttle.failed(name, address, now)
            history.setdefault((name, address), []).append(now)
