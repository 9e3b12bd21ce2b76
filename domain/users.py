"""People who sign in to the console: local accounts with a role, and the limit on guessing passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.access import Role
from domain.bounded import make_room
from domain.errors import DomainError, ValidationFailed

USER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 1024


class InvalidCredentials(DomainError):
    code = "UNAUTHORIZED"

    def __init__(self) -> None:  # one message for an unknown name and a wrong password: no user probing
        super().__init__("Wrong user name or password")


class AccountDisabled(DomainError):
    code = "FORBIDDEN"

    def __init__(self) -> None:
        super().__init__("This account is disabled; ask an administrator")


class LoginThrottled(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed sign-in attempts; try again later", details={"retry_after": retry_after}
        )
        self.retry_after = retry_after


class UserExists(DomainError):
    code = "CONFLICT"

    def __init__(self, name: str) -> None:
        super().__init__(f"User already exists: {name}", details={"name": name})


class UserNotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(f"User not found: {name}", details={"name": name})


def checked_name(name: str) -> str:
    if not USER_NAME_PATTERN.match(name or ""):
        raise ValidationFailed(
            "User names are 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


def checked_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX or "\x00" in password:
        raise ValidationFailed(f"Passwords are {PASSWORD_MIN} to {PASSWORD_MAX} characters, without NUL")
    return password


@dataclass(eq=False)
class User:
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    updated_at: datetime
    disabled: bool = False


class LoginThrottle:
    """At most ``max_failures`` failed sign-ins per (user name, client address) in ``window``; a success
    forgets that pair's failures. Keyed on both so a guesser cannot lock a real user out from elsewhere."""

    def __init__(
        self, max_failures: int = 5, window: timedelta = timedelta(minutes=5), capacity: int = 10_000
    ):
        self._max, self._window, self._capacity = max_failures, window, capacity
        self._failures: dict[tuple[str, str], list[datetime]] = {}

    def check(self, name: str, address: str, now: datetime) -> None:
        recent = self._recent((name.lower(), address), now)
        if len(recent) >= self._max:
            raise LoginThrottled(max(1, int((recent[0] + self._window - now).total_seconds()) + 1))

    def failed(self, name: str, address: str, now: datetime) -> None:
        key = (name.lower(), address)
        recent = self._recent(key, now)
        if key not in self._failures:
            make_room(self._failures, self._capacity)
        self._failures[key] = [*recent, now]

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop((name.lower(), address), None)

    def _recent(self, key: tuple[str, str], now: datetime) -> list[datetime]:
        return [t for t in self._failures.get(key, ()) if now - t < self._window]
