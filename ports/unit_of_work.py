from __future__ import annotations

from typing import Protocol

from ports.repositories import (
    CommandRepository,
    CredentialRepository,
    DeviceRepository,
    EnrollmentTokenRepository,
    MetricsRepository,
)
from ports.rollouts import GroupRepository, RolloutRepository


class UnitOfWork(Protocol):
    """One atomic piece of work. Leaving the block without ``commit()`` rolls everything back."""

    devices: DeviceRepository
    metrics: MetricsRepository
    commands: CommandRepository
    enrollment_tokens: EnrollmentTokenRepository
    credentials: CredentialRepository
    groups: GroupRepository
    rollouts: RolloutRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
