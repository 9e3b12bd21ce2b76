"""Request and response bodies of device groups, firmware releases and rollouts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from domain.devices import DeviceStatus, Platform
from domain.errors import ValidationFailed
from domain.groups import DeviceGroup, DeviceSelector
from domain.rollouts import (
    MAX_PHASES,
    MAX_TARGETS,
    SETTLED,
    Artifact,
    Plan,
    Rollout,
    RolloutTarget,
    TargetState,
    Thresholds,
)
from domain.services.rollouts import RolloutRequest, RolloutStatus

NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Meta(min_length=1, max_length=255, pattern=NO_NUL)]
GroupName = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Tag = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:=-]*$")]
Version = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+:~-]*$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="64 lowercase hex characters")]
DEVICE_STATES = [s.value for s in TargetState]


# -- groups --------------------------------------------------------------------------------------
class GroupFilterBody(Struct, forbid_unknown_fields=True):
    platform: Platform | None = None
    model: Text | None = None
    location: Text | None = None
    firmware_version: Text | None = None
    tag: Tag | None = None
    status: DeviceStatus | None = None

    def selector(self) -> DeviceSelector:
        return DeviceSelector(
            self.platform, self.model, self.location, self.firmware_version, self.tag, self.status
        )


class GroupCreate(Struct, forbid_unknown_fields=True):
    """``static``: the devices tagged ``tag``; ``dynamic``: the devices matching ``filter`` (now, not when
    the group was made)."""

    name: GroupName
    kind: Literal["static", "dynamic"]
    tag: Tag | None = None
    filter: GroupFilterBody | None = None
    description: Text | None = None

    def selector(self) -> DeviceSelector:
        if self.kind == "static":
            if self.filter is not None or self.tag is None:
                raise ValidationFailed("A static group takes a tag, not a filter")
            return DeviceSelector(tag=self.tag)
        if self.tag is not None or self.filter is None:
            raise ValidationFailed("A dynamic group takes a filter (a tag may go inside it)")
        return self.filter.selector()


class GroupView(Struct):
    name: str
    kind: str
    tag: str | None
    filter: dict
    description: str | None
    created_by: str
    created_at: datetime
    devices: int | None = None  # how many devices it holds now (on the single-group read)

    @classmethod
    def of(cls, g: DeviceGroup, devices: int | None = None) -> GroupView:
        return cls(
            g.name,
            g.kind.value,
            g.selector.tag if g.kind.value == "static" else None,
            {k: str(v) for k, v in g.selector.as_dict().items()},
            g.description,
            g.created_by,
            g.created_at,
            devices,
        )


class GroupList(Struct):
    groups: list[GroupView]


class TagsView(Struct):
    device_id: str
    tags: list[str]


# -- firmware ------------------------------------------------------------------------------------
class ArtifactBody(Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=8, max_length=2048, pattern=r"^https?://[^\s\x00]+$")]
    sha256: Sha256
    size: Annotated[int, Meta(ge=1, le=2**40)]
    signature: Annotated[str, Meta(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9+/=]+$")] | None = None

    def artifact(self) -> Artifact:
        return Artifact(self.url, self.sha256, self.size, self.signature)


class ArtifactView(Struct):
    url: str
    sha256: str
    size: int
    signature: str | None

    @classmethod
    def of(cls, a: Artifact) -> ArtifactView:
        return cls(a.url, a.sha256, a.size, a.signature)


class FirmwareView(Struct):
    version: str
    artifact: ArtifactView


class FirmwareList(Struct):
    firmware: list[FirmwareView]


# -- rollouts ------------------------------------------------------------------------------------
class PhasesBody(Struct, forbid_unknown_fields=True):
    canary: Annotated[int, Meta(ge=0, le=MAX_TARGETS)] = 1
    percentages: Annotated[
        list[Annotated[int, Meta(ge=1, le=100)]], Meta(min_length=1, max_length=MAX_PHASES)
    ] = msgspec.field(default_factory=lambda: [100])


class ThresholdsBody(Struct, forbid_unknown_fields=True):
    """Abort when a phase has more failed devices than ``max_failures``, or a larger failed share than
    ``max_failure_percent``."""

    max_failures: Annotated[int, Meta(ge=0, le=MAX_TARGETS)] | None = None
    max_failure_percent: Annotated[float, Meta(ge=0, le=100)] | None = None


class RolloutCreate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=128, pattern=NO_NUL)]
    group: GroupName
    firmware_version: Version
    artifact: ArtifactBody | None = None  # omitted: the version's registered artifact (PUT /firmware/{v})
    phases: PhasesBody = msgspec.field(default_factory=PhasesBody)
    max_in_flight: Annotated[int, Meta(ge=1, le=10_000)] = 10
    rate_per_minute: Annotated[int, Meta(ge=1, le=100_000)] = 60
    device_deadline_seconds: Annotated[int, Meta(ge=10, le=7 * 86400)] = 1800
    thresholds: ThresholdsBody = msgspec.field(default_factory=lambda: ThresholdsBody(max_failures=0))
    force: bool = False  # start although the new firmware has no reference policy (audited)

    def request(self) -> RolloutRequest:
        plan = Plan(
            canary=self.phases.canary,
            percentages=tuple(self.phases.percentages),
            max_in_flight=self.max_in_flight,
            rate_per_minute=self.rate_per_minute,
            device_deadline_seconds=self.device_deadline_seconds,
            thresholds=Thresholds(self.thresholds.max_failures, self.thresholds.max_failure_percent),
        )
        artifact = self.artifact.artifact() if self.artifact else None
        return RolloutRequest(self.name, self.group, self.firmware_version, plan, artifact, self.force)


class PlanView(Struct):
    canary: int
    percentages: list[int]
    max_in_flight: int
    rate_per_minute: int
    device_deadline_seconds: int
    thresholds: dict


class PhaseView(Struct):
    index: int
    size: int
    devices: dict[str, int]  # device state -> how many
    done: bool


class RolloutView(Struct):
    id: int
    name: str
    group: str
    firmware_version: str
    artifact: ArtifactView
    state: str
    phase: int
    forced: bool
    reason: str | None
    plan: PlanView
    total: int
    devices: dict[str, int] | None
    phases: list[PhaseView] | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, r: Rollout, counts: dict[int, dict[str, int]] | None = None) -> RolloutView:
        plan = r.plan
        phases = totals = None
        if counts is not None:
            totals = {state: 0 for state in DEVICE_STATES}
            phases = []
            for index, size in enumerate(r.phase_sizes):
                by_state = {state: counts.get(index, {}).get(state, 0) for state in DEVICE_STATES}
                for state, n in by_state.items():
                    totals[state] += n
                done = sum(by_state[s.value] for s in SETTLED) >= size
                phases.append(PhaseView(index, size, by_state, done))
        return cls(
            r.number,
            r.name,
            r.group,
            r.firmware_version,
            ArtifactView.of(r.artifact),
            r.state.value,
            r.phase,
            r.forced,
            r.reason,
            PlanView(
                plan.canary,
                list(plan.percentages),
                plan.max_in_flight,
                plan.rate_per_minute,
                plan.device_deadline_seconds,
                {
                    "max_failures": plan.thresholds.max_failures,
                    "max_failure_percent": plan.thresholds.max_failure_percent,
                },
            ),
            r.total,
            totals,
            phases,
            r.created_by,
            r.created_at,
            r.started_at,
            r.finished_at,
            r.updated_at,
        )

    @classmethod
    def of_status(cls, status: RolloutStatus) -> RolloutView:
        return cls.of(status.rollout, status.counts)


class RolloutList(Struct):
    rollouts: list[RolloutView]
    total: int
    limit: int
    offset: int


class TargetView(Struct):
    device_id: str
    phase: int
    state: str
    reason: str | None
    message: str | None
    command_id: int | None
    previous_firmware: str | None
    sent_at: datetime | None
    installed_at: datetime | None
    verifying_since: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, t: RolloutTarget) -> TargetView:
        return cls(
            t.device_id,
            t.phase,
            t.state.value,
            t.reason.value if t.reason else None,
            t.message,
            t.command_id,
            t.previous_firmware,
            t.sent_at,
            t.installed_at,
            t.verifying_since,
            t.finished_at,
        )


class TargetList(Struct):
    rollout_id: int
    devices: list[TargetView]
