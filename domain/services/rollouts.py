"""Rollout use cases: admins create and steer rollouts; the scheduler moves them on, one idempotent
step (``advance``) at a time, as a fleet-wide job (one scheduler per fleet, taken over when its worker
dies). Every step re-reads what it needs from the store, so a restart resumes where the last one left.

Exactly once: a device's update command carries the idempotency key (rollout id, device id), so a step
retried after a crash between sending and recording gets the same command back, never a second one.
"""

from __future__ import annotations

import builtins  # the repositories and services have a method named list
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.access import Principal, Role
from domain.attestation.policy import PolicyScope
from domain.audit import AuditRecord
from domain.devices import DeviceRecord
from domain.errors import Conflict, DomainError, ValidationFailed
from domain.events import RolloutChanged
from domain.groups import GroupNotFound
from domain.rollouts import (
    BUSY,
    MAX_TARGETS,
    Artifact,
    FailureReason,
    Move,
    PhaseCounts,
    Plan,
    Rollout,
    RolloutNotFound,
    RolloutState,
    RolloutTarget,
    TargetState,
    check_version,
    failure_of_command,
    next_move,
    send_budget,
    stored_id,
)
from domain.services.attestation import AttestationService
from domain.services.commands import CommandService
from domain.services.groups import GroupService
from ports.attestation import AttestationRepository
from ports.audit import AuditLog
from ports.clock import Clock
from ports.event_policies import EventPolicyRepository
from ports.events import EventBus
from ports.signing import ArtifactSigner
from ports.unit_of_work import UnitOfWork

logger = logging.getLogger("edgefleet.rollouts")
SEND_BATCH = 500  # most devices one step sends to


@dataclass(frozen=True)
class RolloutRequest:
    name: str
    group: str
    firmware_version: str
    plan: Plan
    artifact: Artifact | None = None  # None: the version's registered artifact
    force: bool = False  # start without a reference policy for the new firmware (audited)


@dataclass(frozen=True)
class RolloutStatus:
    rollout: Rollout
    counts: dict[int, dict[str, int]]  # phase -> device state -> devices


def order_targets(devices: builtins.list[DeviceRecord]) -> builtins.list[DeviceRecord]:
    """Models interleaved (by id within each), so the canary and every phase span the fleet's models."""
    by_model: dict[str, list[DeviceRecord]] = {}
    for device in sorted(devices, key=lambda d: d.id):
        by_model.setdefault(device.model or "", []).append(device)
    queues = [by_model[m] for m in sorted(by_model)]
    ordered = []
    for i in range(max((len(q) for q in queues), default=0)):
        ordered += [q[i] for q in queues if i < len(q)]
    return ordered


class RolloutService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        commands: CommandService,
        attestation: AttestationService,
        groups: GroupService,
        policies: AttestationRepository,
        clock: Clock,
        *,
        event_policies: EventPolicyRepository | None = None,
        events: EventBus | None = None,
        signer: ArtifactSigner | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        """``audit``: where the scheduler's own decisions (start, next phase, abort, completion) are
        recorded beside the operators' calls, which the HTTP edge audits."""
        self._audit = audit
        self._uow, self._commands, self._attestation, self._groups = uow, commands, attestation, groups
        self._policies, self._event_policies = policies, event_policies
        self._clock, self._events, self._signer = clock, events, signer

    # -- firmware ---------------------------------------------------------------------------------
    async def register_firmware(self, principal: Principal, version: str, artifact: Artifact) -> Artifact:
        artifact = self._signed(artifact)
        async with self._uow() as uow:
            await uow.rollouts.put_firmware(
                check_version(version), artifact, principal.subject, self._clock.now()
            )
            await uow.commit()
        return artifact

    async def firmware(self) -> builtins.list[tuple[str, Artifact]]:
        async with self._uow() as uow:
            return await uow.rollouts.list_firmware()

    def _signed(self, artifact: Artifact) -> Artifact:
        if artifact.signature is not None or self._signer is None:
            return artifact
        return Artifact(artifact.url, artifact.sha256, artifact.size, self._signer.sign(artifact.sha256))

    # -- operator actions -------------------------------------------------------------------------
    async def create(self, principal: Principal, request: RolloutRequest) -> Rollout:
        """Validate everything, then write the rollout and all its targets at once (or nothing)."""
        version = check_version(request.firmware_version)
        if not request.name.strip():
            raise ValidationFailed("name must not be empty")
        try:
            filters = await self._groups.filter_for(request.group)
        except GroupNotFound as exc:
            raise ValidationFailed(
                f"Unknown group: {request.group}", details={"group": request.group}
            ) from exc
        async with self._uow() as uow:
            artifact = request.artifact or await uow.rollouts.firmware(version)
        if artifact is None:
            raise ValidationFailed(
                f"Unknown firmware {version}: register it (PUT /firmware/{version}) or give its artifact",
                details={"firmware_version": version},
            )
        artifact = self._signed(artifact)
        devices = order_targets(await self._groups.members(filters, MAX_TARGETS))
        if not devices:
            raise ValidationFailed(
                f"Group {request.group} holds no devices", details={"group": request.group}
            )
        if not request.force:
            await self._check_attestable(devices, version)
        now = self._clock.now()
        async with self._uow() as uow:
            if request.artifact is not None:
                try:
                    await uow.rollouts.put_firmware(version, artifact, principal.subject, now)
                except Conflict as exc:
                    raise ValidationFailed(exc.message, details=exc.details) from exc
            busy = await uow.rollouts.busy_devices([d.id for d in devices])
            if busy:
                raise ValidationFailed(
                    f"{len(busy)} device(s) are already in an unfinished rollout",
                    details={"devices": dict(sorted(busy.items())[:50])},
                )
            sizes = request.plan.phase_sizes(len(devices))
            rollout = Rollout(
                request.name.strip(),
                request.group,
                version,
                artifact,
                request.plan,
                sizes,
                principal.subject,
                now,
                forced=request.force,
                updated_at=now,
            )
            targets, start = [], 0
            for phase, size in enumerate(sizes):
                targets += [RolloutTarget(0, d.id, phase) for d in devices[start : start + size]]
                start += size
            try:
                await uow.rollouts.add(rollout, targets)
            except Conflict as exc:
                raise ValidationFailed(exc.message) from exc
            await uow.commit()
        if request.force:
            logger.warning(
                "rollout %s forced by %s without reference policies checked", rollout.id, principal.subject
            )
        await self._publish(rollout, "created")
        return rollout

    async def _check_attestable(self, devices: builtins.list[DeviceRecord], version: str) -> None:
        """Success means attesting against the new firmware's policy: refuse what could never succeed."""
        no_tpm = [d.id for d in devices if not d.tpm_enabled]
        missing = []
        for model in sorted({d.model or "" for d in devices if d.tpm_enabled}):
            if not model or not await self._has_policy(model, version):
                missing.append({"model": model or None, "firmware_version": version})
        if no_tpm or missing:
            raise ValidationFailed(
                f"No reference policy for firmware {version} on every target (or a device without a TPM); "
                "publish the model + firmware policy first, or force the rollout",
                details={"missing_policies": missing, "devices_without_tpm": no_tpm[:50]},
            )

    async def _has_policy(self, model: str, version: str) -> bool:
        scope = PolicyScope.for_model(model, version)
        if await self._policies.get_policy(scope) is not None:
            return True
        return (
            self._event_policies is not None
            and await self._event_policies.get_event_policy(scope) is not None
        )

    async def get(self, rollout_id: int) -> RolloutStatus:
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            if rollout is None:
                raise RolloutNotFound(rollout_id)
            return RolloutStatus(rollout, await uow.rollouts.counts(rollout_id))

    async def list(
        self, states: set[RolloutState] | None, limit: int, offset: int
    ) -> tuple[builtins.list[Rollout], int]:
        async with self._uow() as uow:
            return await uow.rollouts.list(states, limit, offset)

    async def targets(self, rollout_id: int, phase: int | None = None) -> builtins.list[RolloutTarget]:
        async with self._uow() as uow:
            if await uow.rollouts.get(rollout_id) is None:
                raise RolloutNotFound(rollout_id)
            return await uow.rollouts.targets(rollout_id, phase=phase)

    async def pause(self, rollout_id: int) -> Rollout:
        return await self._act(rollout_id, "paused", lambda r, now: r.pause(now))

    async def resume(self, rollout_id: int) -> Rollout:
        return await self._act(rollout_id, "resumed", lambda r, now: r.resume(now))

    async def cancel(self, rollout_id: int) -> Rollout:
        """No device is sent anything more; updates not yet picked up are withdrawn by the next step."""
        return await self._act(rollout_id, "canceled", lambda r, now: r.cancel(now))

    async def _act(
        self, rollout_id: int, change: str, action: Callable[[Rollout, datetime], None]
    ) -> Rollout:
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            if rollout is None:
                raise RolloutNotFound(rollout_id)
            action(rollout, self._clock.now())
            await uow.rollouts.save(rollout)
            await uow.commit()
        await self._publish(rollout, change)
        return rollout

    # -- the scheduler ----------------------------------------------------------------------------
    async def advance(self) -> int:
        """One step of every rollout with work left; returns how many are still in motion."""
        async with self._uow() as uow:
            ids = await uow.rollouts.in_motion()
        for rollout_id in ids:
            try:
                await self._advance(rollout_id)
            except Conflict as exc:  # an operator acted meanwhile: the next step sees it
                logger.info("rollout %s step skipped: %s", rollout_id, exc.message)
            except Exception:  # one rollout's fault must not hold up the others; retried next step
                logger.exception("rollout %s step failed", rollout_id)
        return len(ids)

    async def _advance(self, rollout_id: int) -> None:
        withdraw = await self._track(rollout_id)
        await self._verify(rollout_id)
        await self._withdraw(rollout_id, withdraw)
        await self._decide_and_send(rollout_id)

    async def _track(self, rollout_id: int) -> builtins.list[RolloutTarget]:
        """Follow busy devices (command outcome, reported firmware, deadline); a stopped rollout's pending
        devices are canceled. Returns in-flight devices of a stopped rollout whose command may be withdrawn."""
        now, changed, withdraw = self._clock.now(), [], []
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            if rollout is None:
                return []
            started = rollout.state is RolloutState.PENDING
            if started:
                rollout.start(now)
                await uow.rollouts.save(rollout)
            deadline = timedelta(seconds=rollout.plan.device_deadline_seconds)
            for target in await uow.rollouts.targets(rollout_id, unsettled_only=True):
                before = (target.state, target.reason)
                if target.state is TargetState.PENDING:
                    if not rollout.active:
                        target.cancel(now)
                elif target.state in BUSY:
                    await self._follow(uow, rollout, target, deadline, now)
                    if not rollout.active and target.state is TargetState.IN_FLIGHT:
                        withdraw.append(target)
                if (target.state, target.reason) != before:
                    await uow.rollouts.save_target(target)
                    changed.append(target)
            await uow.commit()
        if started:
            await self._publish(rollout, "started")
            await self._record(rollout, "started")
        for target in changed:
            await self._publish(rollout, "device", target)
        return withdraw

    async def _follow(
        self, uow: UnitOfWork, rollout: Rollout, target: RolloutTarget, deadline: timedelta, now: datetime
    ) -> None:
        if target.state is TargetState.IN_FLIGHT:
            command = await uow.commands.get(target.device_id, target.command)
            status = command.status.value if command is not None else "failed"
            reason = failure_of_command(status)
            if status == "succeeded":
                target.installed(now)
            elif reason is not None:
                message = (
                    (command.result or {}).get("message")
                    if command and isinstance(command.result, dict)
                    else None
                )
                target.fail(reason, str(message or f"update command {status}")[:512], now)
                return
        if target.state is TargetState.INSTALLED:
            device = await uow.devices.get(target.device_id)
            reported = device.firmware_version if device is not None else None
            if reported == rollout.firmware_version:
                target.verifying(now)
            elif reported not in (target.previous_firmware, rollout.firmware_version):
                target.fail(FailureReason.WRONG_FIRMWARE, f"device reports firmware {reported}", now)
                return
        if target.overdue(deadline, now):
            if target.state is TargetState.INSTALLED:
                target.fail(FailureReason.WRONG_FIRMWARE, "never reported the new firmware version", now)
            else:
                target.fail(
                    FailureReason.DEADLINE, f"not proven updated within {deadline.total_seconds():g} s", now
                )

    async def _verify(self, rollout_id: int) -> None:
        """Attest devices that report the new firmware: the verifier judges them against the policy of
        their model + new firmware (a device policy still wins). Unreachable ones are retried next step."""
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            verifying = [
                t
                for t in await uow.rollouts.targets(rollout_id, unsettled_only=True)
                if t.state is TargetState.VERIFYING
            ]
        if rollout is None or not verifying:
            return
        report = await self._attestation.verify_many([t.device_id for t in verifying])
        verdicts = {v.device_id: v for v in report.verdicts}
        now, changed = self._clock.now(), []
        async with self._uow() as uow:
            for target in verifying:
                verdict, skipped = verdicts.get(target.device_id), report.skipped.get(target.device_id)
                if verdict is not None and verdict.succeeded:
                    target.succeed(now)
                elif verdict is not None:
                    reasons = ", ".join(verdict.reasons) or "failed"
                    target.fail(
                        FailureReason.ATTESTATION_FAILED, f"attestation after update: {reasons}"[:512], now
                    )
                elif skipped is not None:
                    target.fail(FailureReason.ATTESTATION_FAILED, skipped.message[:512], now)
                else:
                    continue  # unreachable: asked again next step, until the deadline
                await uow.rollouts.save_target(target)
                changed.append(target)
            await uow.commit()
        for target in changed:
            await self._publish(rollout, "device", target)

    async def _withdraw(self, rollout_id: int, targets: builtins.list[RolloutTarget]) -> None:
        """A stopped rollout's updates that no device has started yet are canceled."""
        canceled = []
        for target in targets:
            try:
                await self._commands.cancel(target.device_id, target.command)
            except DomainError:
                continue  # already running or finished: followed to its end like any other
            canceled.append(target)
        if not canceled:
            return
        now = self._clock.now()
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            for target in canceled:
                target.cancel(now)
                await uow.rollouts.save_target(target)
            await uow.commit()
        for target in canceled:
            await self._publish(rollout, "device", target)

    async def _decide_and_send(self, rollout_id: int) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            rollout = await uow.rollouts.get(rollout_id)
            if rollout is None or rollout.state is not RolloutState.RUNNING:
                return
            counts = await uow.rollouts.counts(rollout_id)
            phases = [PhaseCounts(size, counts.get(i, {})) for i, size in enumerate(rollout.phase_sizes)]
            move, change = next_move(rollout.phase, phases, rollout.plan.thresholds), None
            if move is Move.ABORT:
                failed = phases[rollout.phase].failed
                rollout.abort(
                    f"phase {rollout.phase}: {failed} of {rollout.phase_sizes[rollout.phase]} devices failed",
                    now,
                )
                change = "aborted"
            elif move is Move.COMPLETE:
                rollout.complete(now)
                change = "completed"
            elif move is Move.NEXT_PHASE:
                rollout.next_phase(now)
                change = "phase"
            if change is not None:
                await uow.rollouts.save(rollout)
                await uow.commit()
            if rollout.state is RolloutState.RUNNING:
                phase = phases[rollout.phase]
                busy = sum(p.count(*BUSY) for p in phases)
                sent_recently = await uow.rollouts.sent_since(rollout_id, now - timedelta(minutes=1))
                budget = min(
                    SEND_BATCH,
                    send_budget(rollout.plan, busy, sent_recently, phase.count(TargetState.PENDING)),
                )
                pending = [
                    t
                    for t in await uow.rollouts.targets(rollout_id, unsettled_only=True, phase=rollout.phase)
                    if t.state is TargetState.PENDING
                ][:budget]
            else:
                pending = []
        if change is not None:
            failed_device = await self._last_failure(rollout_id) if change == "aborted" else ""
            await self._publish(rollout, change, device_id=failed_device)
            await self._record(rollout, change, failed_device)
        for target in pending:
            await self._send(rollout, target)

    async def _last_failure(self, rollout_id: int) -> str:
        async with self._uow() as uow:
            failed = [t for t in await uow.rollouts.targets(rollout_id) if t.state is TargetState.FAILED]
        failed.sort(key=lambda t: t.finished_at or t.sent_at or datetime.min.replace(tzinfo=UTC))
        return failed[-1].device_id if failed else ""

    async def _send(self, rollout: Rollout, target: RolloutTarget) -> None:
        async with self._uow() as uow:  # an operator may have paused or canceled since the decision
            current = await uow.rollouts.get(rollout.number)
            device = await uow.devices.get(target.device_id)
        if current is None or current.state is not RolloutState.RUNNING:
            return
        parameters = self._parameters(rollout)
        system = Principal(f"rollout:{rollout.id}", Role.ADMIN)
        try:
            command, _ = await self._commands.submit(
                system, target.device_id, "update", parameters, rollout.idempotency_key(target.device_id)
            )
        except DomainError as exc:  # decommissioned since the rollout was created, say
            command = None
            failure = exc.message
        now = self._clock.now()
        async with self._uow() as uow:
            if command is None:
                target.fail(FailureReason.COMMAND_FAILED, f"update not sent: {failure}"[:512], now)
            else:
                target.sent(
                    stored_id(command.id, "the update command"),
                    device.firmware_version if device else None,
                    now,
                )
            await uow.rollouts.save_target(target)
            await uow.commit()
        await self._publish(rollout, "device", target)

    def _parameters(self, rollout: Rollout) -> dict[str, object]:
        artifact, seconds = rollout.artifact, rollout.plan.device_deadline_seconds
        parameters = {
            "version": rollout.firmware_version,
            "url": artifact.url,
            "sha256": artifact.sha256,
            "size": artifact.size,
            "timeout": min(300, seconds),
            "expires_in": seconds,
        }
        if artifact.signature:
            parameters["signature"] = artifact.signature
        return parameters

    async def _record(self, rollout: Rollout, change: str, device_id: str = "") -> None:
        """The scheduler's decision in the audit trail, as ``rolloutStarted`` / ``rolloutPhase`` / ..."""
        if self._audit is None:
            return
        await self._audit.append(
            AuditRecord(
                at=self._clock.now(),
                actor="rollout-scheduler",
                role="system",
                action=f"rollout{change.capitalize()}",
                method="-",
                path=f"/api/v1/edge/rollouts/{rollout.id}",
                outcome=200,
                device_id=device_id or None,
                target={"rollout_id": str(rollout.id)},
                parameters={
                    "state": rollout.state.value,
                    "phase": rollout.phase,
                    "firmware_version": rollout.firmware_version,
                    "reason": rollout.reason,
                },
            )
        )

    async def _publish(
        self, rollout: Rollout | None, change: str, target: RolloutTarget | None = None, device_id: str = ""
    ) -> None:
        if self._events is None or rollout is None:
            return
        await self._events.publish(
            RolloutChanged(
                target.device_id if target else device_id,
                self._clock.now(),
                rollout.number,
                change,
                rollout.state.value,
                rollout.phase,
                rollout.firmware_version,
                target.state.value if target else None,
                (target.reason.value if target.reason else None) if target else rollout.reason,
            )
        )
