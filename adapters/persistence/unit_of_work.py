from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.persistence.groups import SqlGroupRepository
from adapters.persistence.repositories import (
    SqlCommandRepository,
    SqlCredentialRepository,
    SqlDeviceRepository,
    SqlEnrollmentTokenRepository,
    SqlMetricsRepository,
)
from adapters.persistence.rollouts import SqlRolloutRepository
from domain.errors import Conflict


class SqlAlchemyUnitOfWork:
    """One session per unit of work; rolled back on exit unless committed."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        self.session = self._sessions()
        self.devices = SqlDeviceRepository(self.session)
        self.metrics = SqlMetricsRepository(self.session)
        self.commands = SqlCommandRepository(self.session)
        self.enrollment_tokens = SqlEnrollmentTokenRepository(self.session)
        self.credentials = SqlCredentialRepository(self.session)
        self.groups = SqlGroupRepository(self.session)  # Core statements on the same transaction
        self.rollouts = SqlRolloutRepository(self.session)
        return self

    async def __aexit__(self, *exc_info) -> None:
        # close() rolls back anything uncommitted and detaches objects without expiring them,
        # so what a use case returns stays readable after the unit of work ends.
        await self.session.close()

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except StaleDataError as exc:
            await self.session.rollback()
            raise Conflict("Changed concurrently by another request; retry") from exc

    async def rollback(self) -> None:
        await self.session.rollback()
