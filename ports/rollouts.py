"""Repositories of device groups (and device tags) and of rollouts; both live in the unit of work."""

from __future__ import annotations

import builtins  # the repositories and services have a method named list
from datetime import datetime
from typing import Protocol

from domain.groups import DeviceGroup
from domain.rollouts import Artifact, Rollout, RolloutState, RolloutTarget


class GroupRepository(Protocol):
    async def add(self, group: DeviceGroup) -> None:
        """Raises Conflict when the name is taken."""
        ...

    async def get(self, name: str) -> DeviceGroup | None: ...

    async def list(self) -> builtins.list[DeviceGroup]: ...

    async def delete(self, name: str) -> bool: ...

    async def tags_of(self, device_id: str) -> builtins.list[str]: ...

    async def set_tags(self, device_id: str, tags: builtins.list[str]) -> None:
        """Replace the device's tags."""
        ...


class RolloutRepository(Protocol):
    async def put_firmware(self, version: str, artifact: Artifact, by: str, now: datetime) -> None:
        """Register a firmware version's artifact; Conflict if the version has another one."""
        ...

    async def firmware(self, version: str) -> Artifact | None: ...

    async def list_firmware(self) -> builtins.list[tuple[str, Artifact]]: ...

    async def add(self, rollout: Rollout, targets: builtins.list[RolloutTarget]) -> None:
        """Insert the rollout (its id is set) and its targets; Conflict when a device is already in an
        unsettled target of another rollout."""
        ...

    async def get(self, rollout_id: int) -> Rollout | None: ...

    async def list(
        self, states: set[RolloutState] | None, limit: int, offset: int
    ) -> tuple[builtins.list[Rollout], int]:
        """Newest first, and how many match."""
        ...

    async def save(self, rollout: Rollout) -> None:
        """Write the rollout if nobody changed it since it was read (its version); else Conflict."""
        ...

    async def in_motion(self) -> builtins.list[int]:
        """Ids of rollouts the scheduler has work on: active ones, and stopped ones with devices not yet settled."""
        ...

    async def busy_devices(self, device_ids: builtins.list[str]) -> dict[str, int]:
        """Device id -> rollout id, for the given devices in an unsettled target of any rollout."""
        ...

    async def targets(
        self,
        rollout_id: int,
        *,
        unsettled_only: bool = False,
        phase: int | None = None,
        limit: int | None = None,
    ) -> builtins.list[RolloutTarget]:
        """In phase and device id order."""
        ...

    async def save_target(self, target: RolloutTarget) -> None: ...

    async def counts(self, rollout_id: int) -> dict[int, dict[str, int]]:
        """phase -> state -> devices."""
        ...

    async def sent_since(self, rollout_id: int, since: datetime) -> int: ...
