"""SQL RolloutRepository (Core): firmware releases, rollouts and their per-device targets, inside the
caller's unit of work (it never opens a transaction of its own)."""

from __future__ import annotations

import builtins  # the repositories and services have a method named list
import dataclasses
from datetime import datetime

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.persistence.rollout_tables import firmware_releases, rollout_targets, rollouts
from domain.errors import Conflict
from domain.rollouts import (
    ACTIVE,
    SETTLED,
    Artifact,
    FailureReason,
    Plan,
    Rollout,
    RolloutState,
    RolloutTarget,
    TargetState,
    Thresholds,
)

TARGET_FIELDS = (
    "phase",
    "state",
    "reason",
    "message",
    "previous_firmware",
    "command_id",
    "sent_at",
    "installed_at",
    "verifying_since",
    "finished_at",
)


def plan_document(plan: Plan) -> dict:
    document = dataclasses.asdict(plan)
    document["percentages"] = list(plan.percentages)
    return document


def plan_of(document: dict) -> Plan:
    values = dict(document)
    values["percentages"] = tuple(values["percentages"])
    values["thresholds"] = Thresholds(**values["thresholds"])
    return Plan(**values)


def _rollout(row) -> Rollout:
    m = row._mapping
    return Rollout(
        name=m["name"],
        group=m["group_name"],
        firmware_version=m["firmware_version"],
        artifact=Artifact(**m["artifact"]),
        plan=plan_of(m["plan"]),
        phase_sizes=list(m["phase_sizes"]),
        created_by=m["created_by"],
        created_at=m["created_at"],
        forced=m["forced"],
        state=RolloutState(m["state"]),
        phase=m["phase"],
        reason=m["reason"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        updated_at=m["updated_at"],
        version=m["version"],
        id=m["id"],
    )


def _target(row) -> RolloutTarget:
    m = row._mapping
    return RolloutTarget(
        rollout_id=m["rollout_id"],
        device_id=m["device_id"],
        phase=m["phase"],
        state=TargetState(m["state"]),
        reason=FailureReason(m["reason"]) if m["reason"] else None,
        message=m["message"],
        previous_firmware=m["previous_firmware"],
        command_id=m["command_id"],
        sent_at=m["sent_at"],
        installed_at=m["installed_at"],
        verifying_since=m["verifying_since"],
        finished_at=m["finished_at"],
    )


def _target_values(target: RolloutTarget) -> dict:
    values = {name: getattr(target, name) for name in TARGET_FIELDS}
    values["state"] = target.state.value
    values["reason"] = target.reason.value if target.reason else None
    values["settled"] = target.state in SETTLED
    return values


def _rollout_values(rollout: Rollout) -> dict:
    return {
        "state": rollout.state.value,
        "phase": rollout.phase,
        "reason": rollout.reason,
        "started_at": rollout.started_at,
        "finished_at": rollout.finished_at,
        "updated_at": rollout.updated_at,
    }


class SqlRolloutRepository:
    def __init__(self, conn) -> None:
        """``conn``: anything with ``await conn.execute(statement)`` (the unit of work's session)."""
        self._conn = conn

    async def put_firmware(self, version: str, artifact: Artifact, by: str, now: datetime) -> None:
        known = await self.firmware(version)
        if known == artifact:
            return
        if known is not None:
            raise Conflict(
                f"Firmware {version} is registered with another artifact", details={"version": version}
            )
        try:
            await self._conn.execute(
                insert(firmware_releases).values(
                    version=version, **dataclasses.asdict(artifact), created_by=by, created_at=now
                )
            )
        except IntegrityError as exc:
            raise Conflict(f"Firmware {version} was registered concurrently; retry") from exc

    async def firmware(self, version: str) -> Artifact | None:
        f = firmware_releases.c
        row = (
            await self._conn.execute(select(f.url, f.sha256, f.size, f.signature).where(f.version == version))
        ).first()
        return Artifact(*row) if row else None

    async def list_firmware(self) -> builtins.list[tuple[str, Artifact]]:
        f = firmware_releases.c
        rows = await self._conn.execute(
            select(f.version, f.url, f.sha256, f.size, f.signature).order_by(f.version)
        )
        return [(row[0], Artifact(*row[1:])) for row in rows]

    async def add(self, rollout: Rollout, targets: builtins.list[RolloutTarget]) -> None:
        result = await self._conn.execute(
            insert(rollouts)
            .values(
                name=rollout.name,
                group_name=rollout.group,
                firmware_version=rollout.firmware_version,
                artifact=dataclasses.asdict(rollout.artifact),
                plan=plan_document(rollout.plan),
                phase_sizes=list(rollout.phase_sizes),
                forced=rollout.forced,
                created_by=rollout.created_by,
                created_at=rollout.created_at,
                version=rollout.version,
                **_rollout_values(rollout),
            )
            .returning(rollouts.c.id)
        )
        rollout.id = result.scalar_one()
        for target in targets:
            target.rollout_id = rollout.id
        try:
            for start in range(0, len(targets), 1000):
                await self._conn.execute(
                    insert(rollout_targets),
                    [
                        {"rollout_id": t.rollout_id, "device_id": t.device_id, **_target_values(t)}
                        for t in targets[start : start + 1000]
                    ],
                )
        except IntegrityError as exc:  # the busy-device index: another rollout took a device meanwhile
            raise Conflict("A device of this rollout is already in another unfinished rollout") from exc

    async def get(self, rollout_id: int) -> Rollout | None:
        row = (await self._conn.execute(select(rollouts).where(rollouts.c.id == rollout_id))).first()
        return _rollout(row) if row else None

    async def list(
        self, states: set[RolloutState] | None, limit: int, offset: int
    ) -> tuple[builtins.list[Rollout], int]:
        where = rollouts.c.state.in_([s.value for s in states]) if states else True
        total = (
            await self._conn.execute(select(func.count()).select_from(rollouts).where(where))
        ).scalar_one()
        rows = await self._conn.execute(
            select(rollouts).where(where).order_by(rollouts.c.id.desc()).limit(limit).offset(offset)
        )
        return [_rollout(row) for row in rows], int(total)

    async def save(self, rollout: Rollout) -> None:
        result = await self._conn.execute(
            update(rollouts)
            .where(rollouts.c.id == rollout.id, rollouts.c.version == rollout.version)
            .values(**_rollout_values(rollout), version=rollout.version + 1)
        )
        if result.rowcount != 1:
            raise Conflict(f"Rollout {rollout.id} was changed concurrently; retry")
        rollout.version += 1

    async def in_motion(self) -> builtins.list[int]:
        r, t = rollouts.c, rollout_targets.c
        busy = select(t.rollout_id).where(t.settled.is_(False)).distinct()
        rows = await self._conn.execute(
            select(r.id).where(or_(r.state.in_([s.value for s in ACTIVE]), r.id.in_(busy))).order_by(r.id)
        )
        return [row[0] for row in rows]

    async def busy_devices(self, device_ids: builtins.list[str]) -> dict[str, int]:
        t, found = rollout_targets.c, {}
        for start in range(0, len(device_ids), 500):
            rows = await self._conn.execute(
                select(t.device_id, t.rollout_id).where(
                    t.settled.is_(False), t.device_id.in_(device_ids[start : start + 500])
                )
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    async def targets(
        self,
        rollout_id: int,
        *,
        unsettled_only: bool = False,
        phase: int | None = None,
        limit: int | None = None,
    ) -> builtins.list[RolloutTarget]:
        t = rollout_targets.c
        conditions = [t.rollout_id == rollout_id]
        if unsettled_only:
            conditions.append(t.settled.is_(False))
        if phase is not None:
            conditions.append(t.phase == phase)
        statement = select(rollout_targets).where(and_(*conditions)).order_by(t.phase, t.device_id)
        if limit is not None:
            statement = statement.limit(limit)
        return [_target(row) for row in await self._conn.execute(statement)]

    async def save_target(self, target: RolloutTarget) -> None:
        t = rollout_targets.c
        await self._conn.execute(
            update(rollout_targets)
            .where(t.rollout_id == target.rollout_id, t.device_id == target.device_id)
            .values(**_target_values(target))
        )

    async def counts(self, rollout_id: int) -> dict[int, dict[str, int]]:
        t = rollout_targets.c
        rows = await self._conn.execute(
            select(t.phase, t.state, func.count())
            .where(t.rollout_id == rollout_id)
            .group_by(t.phase, t.state)
        )
        counts: dict[int, dict[str, int]] = {}
        for phase, state, n in rows:
            counts.setdefault(phase, {})[state] = int(n)
        return counts

    async def sent_since(self, rollout_id: int, since: datetime) -> int:
        t = rollout_targets.c
        statement = select(func.count()).where(t.rollout_id == rollout_id, t.sent_at >= since)
        return int((await self._conn.execute(statement)).scalar_one())
