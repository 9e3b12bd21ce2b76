"""The edge's fixed-window rate limit: a budget per caller per minute, Retry-After to the next window."""

from __future__ import annotations

import pytest
from litestar.exceptions import TooManyRequestsException

from entrypoints.http.hardening import RateLimit, device_or_address


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def scope(credential: str | None = None, address: str = "10.0.0.1") -> dict:
    headers = [(b"authorization", f"Bearer {credential}".encode())] if credential else []
    return {"type": "http", "headers": headers, "client": (address, 5000)}


async def passed(scope, receive, send) -> None:
    send.append(scope)


async def test_each_caller_has_its_budget_and_hears_when_to_retry():
    clock = Clock(600.0 + 45)  # 45 s into a minute
    limit = RateLimit(passed, per_minute=2, key=device_or_address, clock=clock)
    calls: list = []
    for _ in range(2):
        await limit(scope("dev-a.s3cret"), None, calls)
    with pytest.raises(TooManyRequestsException) as refused:
        await limit(scope("dev-a.s3cret"), None, calls)
    assert refused.value.headers == {"Retry-After": "15"}
    await limit(scope("dev-b.s3cret"), None, calls)  # another device behind the same address
    assert len(calls) == 3


async def test_a_new_minute_gives_every_caller_a_new_budget():
    clock = Clock(60.0)
    limit = RateLimit(passed, per_minute=1, clock=clock)
    calls: list = []
    await limit(scope(), None, calls)
    with pytest.raises(TooManyRequestsException):
        await limit(scope(), None, calls)
    clock.now = 120.0
    await limit(scope(), None, calls)
    assert len(calls) == 2


async def test_callers_without_a_credential_are_counted_by_address():
    assert device_or_address(scope(None, "192.0.2.7")) == "address:192.0.2.7"
    assert device_or_address(scope("not-a-credential")) == "address:10.0.0.1"
    assert device_or_address(scope("edge-9.secret")) == "device:edge-9"
