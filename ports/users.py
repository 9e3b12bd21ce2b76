"""What sign-in and account management need: stored users, password hashing, and issuing tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from domain.access import Role
from domain.users import User


class UserRepository(Protocol):
    async def get(self, name: str) -> User | None: ...

    async def add(self, user: User) -> None:
        """Raises UserExists when the name is taken."""
        ...

    async def save(self, user: User) -> None:
        """Store changed role, hash or disabled flag of an existing user."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class TokenIssuer(Protocol):
    def issue(self, subject: str, role: Role, ttl: timedelta, now: datetime) -> str: ...
