"""In-memory UserRepository and audit log for unit tests."""

from __future__ import annotations

import copy

from domain.audit import AuditRecord
from domain.users import User, UserExists, UserNotFound


class InMemoryUserRepository:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}

    async def get(self, name: str) -> User | None:
        user = self.users.get(name)
        return copy.copy(user) if user else None

    async def add(self, user: User) -> None:
        if user.name in self.users:
            raise UserExists(user.name)
        self.users[user.name] = copy.copy(user)

    async def save(self, user: User) -> None:
        if user.name not in self.users:
            raise UserNotFound(user.name)
        self.users[user.name] = copy.copy(user)


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> None:
        self.records.append(record)
