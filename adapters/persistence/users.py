"""SQL UserRepository over the ``users`` table (Core: a handful of columns, read and written whole)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.user_tables import users
from domain.users import User, UserExists, UserNotFound

COLUMNS = ("name", "role", "password_hash", "disabled", "created_at", "updated_at")


class SqlUserRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, name: str) -> User | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(users).where(users.c.name == name))).first()
        return User(**{c: row._mapping[c] for c in COLUMNS}) if row else None

    async def add(self, user: User) -> None:
        try:
            async with self._engine.begin() as connection:
                await connection.execute(users.insert().values({c: getattr(user, c) for c in COLUMNS}))
        except IntegrityError as exc:
            raise UserExists(user.name) from exc

    async def save(self, user: User) -> None:
        changes = {c: getattr(user, c) for c in ("role", "password_hash", "disabled", "updated_at")}
        async with self._engine.begin() as connection:
            result = await connection.execute(update(users).where(users.c.name == user.name).values(changes))
        if result.rowcount != 1:
            raise UserNotFound(user.name)
