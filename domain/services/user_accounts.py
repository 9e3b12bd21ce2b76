"""Local console accounts: created, re-passworded and disabled by an administrator (the CLI)."""

from __future__ import annotations

from domain.access import Role
from domain.users import User, UserNotFound, checked_name, checked_password
from ports.clock import Clock
from ports.users import PasswordHasher, UserRepository


class UserAccounts:
    def __init__(self, users: UserRepository, hasher: PasswordHasher, clock: Clock) -> None:
        self._users, self._hasher, self._clock = users, hasher, clock

    async def create(self, name: str, role: Role, password: str) -> User:
        now = self._clock.now()
        user = User(checked_name(name), Role(role), self._hasher.hash(checked_password(password)), now, now)
        await self._users.add(user)
        return user

    async def set_password(self, name: str, password: str) -> User:
        user = await self._existing(name)
        user.password_hash, user.updated_at = self._hasher.hash(checked_password(password)), self._clock.now()
        await self._users.save(user)
        return user

    async def disable(self, name: str) -> User:
        user = await self._existing(name)
        user.disabled, user.updated_at = True, self._clock.now()
        await self._users.save(user)
        return user

    async def _existing(self, name: str) -> User:
        user = await self._users.get(name)
        if user is None:
            raise UserNotFound(name)
        return user
