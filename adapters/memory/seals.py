"""In-memory SealRepository for unit tests: same uniqueness rule as the database's partial index."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from domain.errors import Conflict
from domain.sealing import Seal, SealStatus


class InMemorySealRepository:
    def __init__(self) -> None:
        self.seals: dict[str, Seal] = {}

    async def add(self, seal: Seal, *, replaces: Seal | None = None) -> None:
        if replaces is not None:
            stored = self.seals.get(replaces.id)
            if stored is None or not stored.active:
                raise Conflict(f"Seal {replaces.id} changed meanwhile; try again")
        clash = await self.get_active(seal.device_id, seal.key_id)
        if clash is not None and (replaces is None or clash.id != replaces.id):
            raise Conflict(f"Device {seal.device_id} already holds an active seal for key {seal.key_id}")
        if replaces is not None:
            self.seals[replaces.id].status = SealStatus.REVOKED
            self.seals[replaces.id].revoked_at = replaces.revoked_at
        self.seals[seal.id] = copy.copy(seal)  # stored state, not the caller's live object

    async def get_active(self, device_id: str, key_id: str) -> Seal | None:
        found = next(
            (s for s in self.seals.values() if s.device_id == device_id and s.key_id == key_id and s.active),
            None,
        )
        return copy.copy(found) if found else None

    async def list_for_device(self, device_id: str) -> list[Seal]:
        mine = [copy.copy(s) for s in self.seals.values() if s.device_id == device_id]
        return sorted(mine, key=lambda s: s.created_at, reverse=True)

    async def seal_statuses(self, device_id: str) -> set[str]:
        return {s.status.value for s in self.seals.values() if s.device_id == device_id}

    async def sealed_devices(self, device_ids: Iterable[str]) -> set[str]:
        wanted = set(device_ids)
        return {s.device_id for s in self.seals.values() if s.active and s.device_id in wanted}
