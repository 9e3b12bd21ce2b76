"""In-memory group and rollout repositories for unit tests (same contracts as the SQL ones)."""

from __future__ import annotations

import builtins  # the repositories and services have a method named list
import copy
import dataclasses
from datetime import datetime

from domain.errors import Conflict
from domain.groups import DeviceGroup
from domain.rollouts import SETTLED, Artifact, Rollout, RolloutState, RolloutTarget


@dataclasses.dataclass
class RolloutData:
    """Committed state: copied whole into each unit of work, published on commit."""

    groups: dict[str, DeviceGroup] = dataclasses.field(default_factory=dict)
    tags: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    firmware: dict[str, Artifact] = dataclasses.field(default_factory=dict)
    rollouts: dict[int, Rollout] = dataclasses.field(default_factory=dict)
    targets: dict[tuple[int, str], RolloutTarget] = dataclasses.field(default_factory=dict)
    next_id: int = 1


class InMemoryGroupRepository:
    def __init__(self, data: RolloutData) -> None:
        self._data = data

    async def add(self, group: DeviceGroup) -> None:
        if group.name in self._data.groups:
            raise Conflict(f"Group {group.name} already exists")
        self._data.groups[group.name] = group

    async def get(self, name: str) -> DeviceGroup | None:
        return self._data.groups.get(name)

    async def list(self) -> builtins.list[DeviceGroup]:
        return [self._data.groups[n] for n in sorted(self._data.groups)]

    async def delete(self, name: str) -> bool:
        return self._data.groups.pop(name, None) is not None

    async def tags_of(self, device_id: str) -> builtins.list[str]:
        return list(self._data.tags.get(device_id, []))

    async def set_tags(self, device_id: str, tags: builtins.list[str]) -> None:
        self._data.tags[device_id] = sorted(tags)


class InMemoryRolloutRepository:
    def __init__(self, data: RolloutData) -> None:
        self._data = data

    async def put_firmware(self, version: str, artifact: Artifact, by: str, now: datetime) -> None:
        known = self._data.firmware.get(version)
        if known is not None and known != artifact:
            raise Conflict(f"Firmware {version} is registered with another artifact")
        self._data.firmware[version] = artifact

    async def firmware(self, version: str) -> Artifact | None:
        return self._data.firmware.get(version)

    async def list_firmware(self) -> builtins.list[tuple[str, Artifact]]:
        return sorted(self._data.firmware.items())

    async def add(self, rollout: Rollout, targets: builtins.list[RolloutTarget]) -> None:
        if await self.busy_devices([t.device_id for t in targets]):
            raise Conflict("A device of this rollout is already in another unfinished rollout")
        rollout.id, self._data.next_id = self._data.next_id, self._data.next_id + 1
        self._data.rollouts[rollout.number] = copy.deepcopy(rollout)
        for target in targets:
            target.rollout_id = rollout.id
            self._data.targets[(rollout.id, target.device_id)] = copy.deepcopy(target)

    async def get(self, rollout_id: int) -> Rollout | None:
        found = self._data.rollouts.get(rollout_id)
        return copy.deepcopy(found) if found else None

    async def list(
        self, states: set[RolloutState] | None, limit: int, offset: int
    ) -> tuple[builtins.list[Rollout], int]:
        found = [
            r for _, r in sorted(self._data.rollouts.items(), reverse=True) if not states or r.state in states
        ]
        return copy.deepcopy(found[offset : offset + limit]), len(found)

    async def save(self, rollout: Rollout) -> None:
        stored = self._data.rollouts.get(rollout.number)
        if stored is None or stored.version != rollout.version:
            raise Conflict(f"Rollout {rollout.id} was changed concurrently; retry")
        rollout.version += 1
        self._data.rollouts[rollout.number] = copy.deepcopy(rollout)

    async def in_motion(self) -> builtins.list[int]:
        unsettled = {rid for (rid, _), t in self._data.targets.items() if t.state not in SETTLED}
        return sorted(rid for rid, r in self._data.rollouts.items() if r.active or rid in unsettled)

    async def busy_devices(self, device_ids: builtins.list[str]) -> dict[str, int]:
        wanted = set(device_ids)
        return {
            d: rid for (rid, d), t in self._data.targets.items() if d in wanted and t.state not in SETTLED
        }

    async def targets(
        self,
        rollout_id: int,
        *,
        unsettled_only: bool = False,
        phase: int | None = None,
        limit: int | None = None,
    ) -> builtins.list[RolloutTarget]:
        found = sorted(
            (
                t
                for (rid, _), t in self._data.targets.items()
                if rid == rollout_id
                and (not unsettled_only or t.state not in SETTLED)
                and (phase is None or t.phase == phase)
            ),
            key=lambda t: (t.phase, t.device_id),
        )
        return copy.deepcopy(found[:limit] if limit is not None else found)

    async def save_target(self, target: RolloutTarget) -> None:
        self._data.targets[(target.rollout_id, target.device_id)] = copy.deepcopy(target)

    async def counts(self, rollout_id: int) -> dict[int, dict[str, int]]:
        counts: dict[int, dict[str, int]] = {}
        for (rid, _), t in self._data.targets.items():
            if rid == rollout_id:
                by_state = counts.setdefault(t.phase, {})
                by_state[t.state.value] = by_state.get(t.state.value, 0) + 1
        return counts

    async def sent_since(self, rollout_id: int, since: datetime) -> int:
        return sum(
            1
            for (rid, _), t in self._data.targets.items()
            if rid == rollout_id and t.sent_at and t.sent_at >= since
        )
