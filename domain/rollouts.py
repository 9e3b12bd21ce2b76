"""Firmware rollouts: a group's devices updated in phases (a canary count, then cumulative
percentages), a bounded number in flight and per minute, stopped when a phase fails too often.

Rollout:  pending -> running <-> paused -> completed | aborted | canceled
Device:   pending -> in_flight (command sent) -> installed (agent succeeded) -> verifying (reports the
          new firmware) -> succeeded (attested against the new firmware's policy) | failed (reason);
          canceled when the rollout stops before the device was sent anything (or its command could
          still be withdrawn).
Only pure rules here; domain/services/rollouts.py applies them step by step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Conflict, DomainError, ValidationFailed

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+:~-]{0,127}$")
MAX_TARGETS = 100_000
MAX_PHASES = 10


class RolloutNotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, rollout_id: int) -> None:
        super().__init__(f"Rollout not found: {rollout_id}", details={"rollout_id": rollout_id})


class RolloutState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ABORTED = "aborted"
    CANCELED = "canceled"


ACTIVE = frozenset({RolloutState.PENDING, RolloutState.RUNNING, RolloutState.PAUSED})


class TargetState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    INSTALLED = "installed"
    VERIFYING = "verifying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


SETTLED = frozenset({TargetState.SUCCEEDED, TargetState.FAILED, TargetState.CANCELED})
BUSY = frozenset({TargetState.IN_FLIGHT, TargetState.INSTALLED, TargetState.VERIFYING})


class FailureReason(StrEnum):
    COMMAND_FAILED = "command_failed"  # the agent reported failure, or rejected the update
    COMMAND_TIMED_OUT = "command_timed_out"
    WRONG_FIRMWARE = "wrong_firmware"  # came back reporting another version
    ATTESTATION_FAILED = "attestation_failed"  # booted something the new firmware's policy refuses
    DEADLINE = "deadline"  # not proven updated within the per-device deadline


@dataclass(frozen=True)
class Artifact:
    url: str
    sha256: str
    size: int
    signature: str | None = None  # base64 Ed25519 over the 32-byte digest

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not re.match(r"^https?://[^\s\x00]{1,2040}$", self.url):
            raise ValidationFailed("artifact.url must be an http(s) URL of at most 2048 characters")
        if not isinstance(self.sha256, str) or not SHA256_HEX.match(self.sha256):
            raise ValidationFailed("artifact.sha256 must be 64 lowercase hex characters")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 < self.size <= 2**40:
            raise ValidationFailed("artifact.size must be a positive number of bytes")


@dataclass(frozen=True)
class Thresholds:
    """Abort the rollout when a phase has more than ``max_failures`` failed devices, or more than
    ``max_failure_percent`` of the phase failed; None: that limit does not apply."""

    max_failures: int | None = None
    max_failure_percent: float | None = None

    def __post_init__(self) -> None:
        if self.max_failures is not None and not 0 <= self.max_failures <= MAX_TARGETS:
            raise ValidationFailed(f"thresholds.max_failures must be between 0 and {MAX_TARGETS}")
        if self.max_failure_percent is not None and not 0 <= self.max_failure_percent <= 100:
            raise ValidationFailed("thresholds.max_failure_percent must be between 0 and 100")

    def exceeded(self, failed: int, phase_size: int) -> bool:
        if self.max_failures is not None and failed > self.max_failures:
            return True
        if self.max_failure_percent is not None and phase_size > 0:
            return failed * 100 > self.max_failure_percent * phase_size
        return False


@dataclass(frozen=True)
class Plan:
    canary: int = 1
    percentages: tuple[int, ...] = (100,)  # cumulative share of the targets updated by each phase's end
    max_in_flight: int = 10
    rate_per_minute: int = 60
    device_deadline_seconds: int = 1800
    # by default any failed device stops the rollout: loosen it per rollout
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(max_failures=0))

    def __post_init__(self) -> None:
        if not 0 <= self.canary <= MAX_TARGETS:
            raise ValidationFailed(f"canary must be between 0 and {MAX_TARGETS}")
        p = self.percentages
        if not p or len(p) > MAX_PHASES or any(not 1 <= x <= 100 for x in p):
            raise ValidationFailed(f"percentages: 1-{MAX_PHASES} values between 1 and 100")
        if any(b <= a for a, b in zip(p, p[1:])) or p[-1] != 100:
            raise ValidationFailed("percentages must increase and end at 100")
        if not 1 <= self.max_in_flight <= 10_000:
            raise ValidationFailed("max_in_flight must be between 1 and 10000")
        if not 1 <= self.rate_per_minute <= 100_000:
            raise ValidationFailed("rate_per_minute must be between 1 and 100000")
        if not 10 <= self.device_deadline_seconds <= 7 * 86400:
            raise ValidationFailed("device_deadline_seconds must be between 10 and 604800")

    def phase_sizes(self, total: int) -> list[int]:
        """Devices per phase: the canary first, then up to each percentage of ``total``; empty
        phases (a small group) are dropped."""
        sizes, done = [], 0
        if self.canary:
            sizes.append(min(self.canary, total))
            done = sizes[0]
        for percent in self.percentages:
            upto = max(done, math.ceil(total * percent / 100))
            sizes.append(upto - done)
            done = upto
        return [s for s in sizes if s > 0]


@dataclass(eq=False)
class RolloutTarget:
    rollout_id: int
    device_id: str
    phase: int
    state: TargetState = TargetState.PENDING
    reason: FailureReason | None = None
    message: str | None = None
    previous_firmware: str | None = None
    command_id: int | None = None
    sent_at: datetime | None = None
    installed_at: datetime | None = None
    verifying_since: datetime | None = None
    finished_at: datetime | None = None

    @property
    def settled(self) -> bool:
        return self.state in SETTLED

    def sent(self, command_id: int, previous_firmware: str | None, now: datetime) -> None:
        self._require({TargetState.PENDING}, "send")
        self.state, self.command_id, self.sent_at = TargetState.IN_FLIGHT, command_id, now
        self.previous_firmware = previous_firmware

    def installed(self, now: datetime) -> None:
        self._require({TargetState.IN_FLIGHT}, "install")
        self.state, self.installed_at = TargetState.INSTALLED, now

    def verifying(self, now: datetime) -> None:
        self._require({TargetState.INSTALLED}, "verify")
        self.state, self.verifying_since = TargetState.VERIFYING, now

    def succeed(self, now: datetime) -> None:
        self._require({TargetState.VERIFYING}, "succeed")
        self.state, self.finished_at = TargetState.SUCCEEDED, now

    def fail(self, reason: FailureReason, message: str, now: datetime) -> None:
        """From pending only when the update could not even be sent (the device was decommissioned)."""
        self._require(BUSY | {TargetState.PENDING}, "fail")
        self.state, self.reason, self.message, self.finished_at = TargetState.FAILED, reason, message, now

    def cancel(self, now: datetime) -> None:
        self._require({TargetState.PENDING, TargetState.IN_FLIGHT}, "cancel")
        self.state, self.finished_at = TargetState.CANCELED, now

    def overdue(self, deadline: timedelta, now: datetime) -> bool:
        return self.state in BUSY and self.sent_at is not None and now >= self.sent_at + deadline

    @property
    def command(self) -> int:
        """The update command's id (the device is in flight, or past it)."""
        return stored_id(self.command_id, f"device {self.device_id}'s update command")

    def _require(self, allowed: set[TargetState] | frozenset[TargetState], action: str) -> None:
        if self.state not in allowed:
            raise Conflict(
                f"Device {self.device_id} is {self.state} in rollout {self.rollout_id}: cannot {action}"
            )


def failure_of_command(status: str) -> FailureReason | None:
    """What a settled update command means for its device (None: succeeded or still open)."""
    if status in ("failed", "rejected"):
        return FailureReason.COMMAND_FAILED
    if status in ("timed_out", "canceled"):
        return FailureReason.COMMAND_TIMED_OUT
    return None


@dataclass(frozen=True)
class PhaseCounts:
    size: int
    by_state: dict[str, int]

    def count(self, *states: TargetState) -> int:
        return sum(self.by_state.get(s.value, 0) for s in states)

    @property
    def failed(self) -> int:
        return self.count(TargetState.FAILED)

    @property
    def settled(self) -> bool:
        return self.count(*SETTLED) >= self.size


class Move(StrEnum):
    CONTINUE = "continue"
    NEXT_PHASE = "next_phase"
    COMPLETE = "complete"
    ABORT = "abort"


def next_move(phase: int, phases: list[PhaseCounts], thresholds: Thresholds) -> Move:
    """After a step's changes: abort on a broken threshold, move on when the phase has settled."""
    current = phases[phase]
    if thresholds.exceeded(current.failed, current.size):
        return Move.ABORT
    if not current.settled:
        return Move.CONTINUE
    return Move.COMPLETE if phase == len(phases) - 1 else Move.NEXT_PHASE


def send_budget(plan: Plan, busy: int, sent_last_minute: int, pending_in_phase: int) -> int:
    """How many more devices may be sent the update now."""
    return max(0, min(plan.max_in_flight - busy, plan.rate_per_minute - sent_last_minute, pending_in_phase))


@dataclass(eq=False)
class Rollout:
    name: str
    group: str
    firmware_version: str
    artifact: Artifact
    plan: Plan
    phase_sizes: list[int]
    created_by: str
    created_at: datetime
    forced: bool = False
    state: RolloutState = RolloutState.PENDING
    phase: int = 0
    reason: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1  # optimistic concurrency: the scheduler and an operator never both win
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def total(self) -> int:
        return sum(self.phase_sizes)

    def idempotency_key(self, device_id: str) -> str:
        """One update command per device and rollout, however often a step is retried."""
        return f"rollout:{self.id}:{device_id}"

    def start(self, now: datetime) -> None:
        self._require({RolloutState.PENDING}, "start")
        self.state, self.started_at = RolloutState.RUNNING, now
        self._touch(now)

    def pause(self, now: datetime) -> None:
        self._require({RolloutState.PENDING, RolloutState.RUNNING}, "pause")
        self.state = RolloutState.PAUSED
        self._touch(now)

    def resume(self, now: datetime) -> None:
        self._require({RolloutState.PAUSED}, "resume")
        self.state = RolloutState.RUNNING
        self.started_at = self.started_at or now
        self._touch(now)

    def cancel(self, now: datetime) -> None:
        self._require(ACTIVE, "cancel")
        self._finish(RolloutState.CANCELED, "canceled by an operator", now)

    def abort(self, reason: str, now: datetime) -> None:
        self._require(ACTIVE, "abort")
        self._finish(RolloutState.ABORTED, reason, now)

    def next_phase(self, now: datetime) -> None:
        self._require({RolloutState.RUNNING, RolloutState.PAUSED}, "move to the next phase")
        if self.phase + 1 >= len(self.phase_sizes):
            raise Conflict(f"Rollout {self.id} has no phase after {self.phase}")
        self.phase += 1
        self._touch(now)

    def complete(self, now: datetime) -> None:
        self._require({RolloutState.RUNNING, RolloutState.PAUSED}, "complete")
        self._finish(RolloutState.COMPLETED, None, now)

    def _finish(self, state: RolloutState, reason: str | None, now: datetime) -> None:
        self.state, self.reason, self.finished_at = state, reason, now
        self._touch(now)

    def _touch(self, now: datetime) -> None:
        self.updated_at = now

    def _require(self, allowed: set[RolloutState] | frozenset[RolloutState], action: str) -> None:
        if self.state not in allowed:
            raise Conflict(f"Rollout {self.id} is {self.state} and cannot {action}")

    @property
    def number(self) -> int:
        """The id the store gave it."""
        return stored_id(self.id, "the rollout")


def stored_id(value: int | None, what: str) -> int:
    """An id the store has assigned; asking before it did is a bug, reported as a conflict."""
    if value is None:
        raise Conflict(f"{what} has not been stored yet")
    return value


def check_version(version: str) -> str:
    if not isinstance(version, str) or not VERSION.match(version):
        raise ValidationFailed(
            "firmware_version is 1-128 characters of letters, digits and . _ + : ~ -, starting with a letter or digit"
        )
    return version
