"""Remote attestation use cases: challenge a device, verify its quote, keep verdicts and baselines."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import HashAlg, QuoteCheck, QuoteEvidence, QuoteResult, Reason
from domain.attestation.nonce import DEFAULT_NONCE_TTL, Challenge, Nonce
from domain.attestation.policy import PolicyScope, ReferencePolicy, first_matching, scopes_for
from domain.attestation.verdict import AttestationVerdict, BatchReport, judge
from domain.devices import Device
from domain.errors import AttestationFailed, DeviceNotFound, DeviceUnreachable, DomainError
from domain.events import AttestationRecorded
from domain.measured_boot.check import NO_LOG, LogVerdict, check_log
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.policy import EventPolicy, learn
from domain.measured_boot.replay import replay_many
from ports.attestation import AttestationRepository, DeviceGateway, NonceStore
from ports.clock import Clock
from ports.event_log import EventLogReplayer
from ports.event_policies import EventPolicyRepository
from ports.events import EventBus
from ports.verifier import QuoteVerifier

# Firmware, boot configuration, option ROMs, boot loader and Secure Boot state on PC-Client-style TPMs.
DEFAULT_PCRS = (0, 1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class _Target:
    device: Device
    key: EnrolledKey
    policy: ReferencePolicy | None
    event_policy: EventPolicy | None = None


# A quote to judge: whose, the nonce it answers, the evidence, when the server received it, and when
# the challenge was issued (None when the device pushed an answer to a challenge issued elsewhere).
_Item = tuple[_Target, bytes, QuoteEvidence, datetime, datetime | None]


class AttestationService:
    def __init__(
        self,
        repo: AttestationRepository,
        nonces: NonceStore,
        gateway: DeviceGateway,
        verifier: QuoteVerifier,
        clock: Clock,
        *,
        nonce_ttl: timedelta = DEFAULT_NONCE_TTL,
        default_pcrs: Sequence[int] = DEFAULT_PCRS,
        concurrency: int = 64,
        chunk_size: int = 256,
        events: EventBus | None = None,
        event_policies: EventPolicyRepository | None = None,
        replayer: EventLogReplayer | None = None,
    ) -> None:
        self._repo, self._nonces, self._gateway = repo, nonces, gateway
        self._verifier, self._clock = verifier, clock
        self._nonce_ttl = nonce_ttl
        self._default_pcrs = tuple(default_pcrs)
        self._concurrency = concurrency
        self._chunk_size = max(1, chunk_size)
        self._events = events
        self._event_policies = event_policies
        self._replay_batch = replayer.replay_batch if replayer is not None else replay_many

    async def issue_challenge(self, device_id: str) -> Challenge:
        return await self._challenge(await self._target(device_id))

    async def submit_evidence(
        self, device_id: str, nonce: bytes, evidence: QuoteEvidence
    ) -> AttestationVerdict:
        """A device answers a challenge it was issued (the agent pushes its quote)."""
        target = await self._target(device_id)
        [verdict] = await self._judge([(target, nonce, evidence, self._clock.now(), None)])
        return verdict

    async def verify_device(self, device_id: str) -> AttestationVerdict:
        [verdict] = await self._judge([await self._quote(await self._target(device_id))])
        return verdict

    async def verify_many(
        self, device_ids: Iterable[str], on_progress: Callable[[int, int], None] | None = None
    ) -> BatchReport:
        """Challenge devices concurrently; quotes are verified in chunks of ``chunk_size`` as they arrive
        (one verifier batch per chunk, one chunk at a time, while the rest are still being collected)."""
        report, targets = BatchReport(), []
        for device_id in device_ids:
            try:
                targets.append(await self._target(device_id))
            except DomainError as exc:
                report.skipped[device_id] = exc
        gate, done = asyncio.Semaphore(self._concurrency), 0
        pending: list[_Item] = []
        verifying: list[asyncio.Task[tuple[list[_Item], list[QuoteResult]]]] = []
        one_at_a_time = asyncio.Lock()  # chunks queue for the verifier instead of competing for its cores

        async def verify(chunk: list[_Item]) -> tuple[list[_Item], list[QuoteResult]]:
            async with one_at_a_time:
                return chunk, await self._verify(chunk)

        def flush() -> None:
            verifying.append(asyncio.create_task(verify(pending[:])))
            pending.clear()

        async def collect(target: _Target) -> None:
            nonlocal done
            async with gate:
                try:
                    pending.append(await self._quote(target))
                    if len(pending) >= self._chunk_size:
                        flush()
                except DeviceUnreachable:
                    report.unreachable.append(target.device.id)
                except DomainError as exc:  # one device's failure must not sink the batch
                    report.skipped[target.device.id] = exc
                finally:
                    done += 1
                    if on_progress:
                        on_progress(done, len(targets))

        try:
            await asyncio.gather(*map(collect, targets))
        finally:
            if pending:
                flush()
            chunks = await asyncio.gather(*verifying)  # awaited even on failure: no verification left behind
        for items, results in chunks:
            report.verdicts += await self._record(items, results)
        return report

    async def latest(self, device_id: str) -> AttestationVerdict | None:
        await self._device(device_id)
        return await self._repo.latest_verdict(device_id)

    async def trust_current_values(
        self, device_id: str, pcrs: Sequence[int] | None = None, bank: HashAlg = HashAlg.SHA256
    ) -> ReferencePolicy:
        """Quote a known-good device and make its current PCR values its own reference policy."""
        target = await self._target(device_id)
        default = target.policy.selection if target.policy else self._default_pcrs
        unchecked = _Target(target.device, target.key, None)  # the values are what we are learning
        [verdict] = await self._judge([await self._quote(unchecked, sorted(pcrs or default), bank)])
        if not verdict.succeeded:
            raise AttestationFailed(
                f"Device {device_id} did not prove its current values: {', '.join(verdict.reasons)}",
                details={"device_id": device_id, "reasons": verdict.reasons},
            )
        scope = PolicyScope.for_device(device_id)
        policy = ReferencePolicy(scope, verdict.pcr_values, bank, updated_at=self._clock.now())
        await self._repo.put_policy(policy)
        return policy

    async def learn_event_policy(self, device_id: str, *, model_scope: bool = False) -> EventPolicy:
        """Quote a known-good device with its boot event log and store the event policy its log passes,
        for the device itself or (``model_scope``) for its model + firmware version."""
        if self._event_policies is None:
            raise AttestationFailed("Event policies are not configured on this server")
        target = await self._target(device_id)
        unchecked = _Target(target.device, target.key, None)  # its events are what we are learning
        item = await self._quote(unchecked, sorted(set(self._default_pcrs)), HashAlg.SHA256)
        [verdict] = await self._judge([item])
        evidence = item[2]
        if not verdict.succeeded or evidence.event_log is None:
            why = verdict.reasons or ["no event log sent with the quote"]
            raise AttestationFailed(
                f"Device {device_id} did not prove a boot event log: {', '.join(why)}",
                details={"device_id": device_id, "reasons": why},
            )
        scope = PolicyScope.for_device(device_id)
        if model_scope:
            device = target.device
            if not (device.model and device.firmware_version):
                raise AttestationFailed(
                    f"Device {device_id} has no model and firmware version to learn for",
                    details={"device_id": device_id},
                )
            scope = PolicyScope.for_model(device.model, device.firmware_version)
        learned = learn(scope, parse_log(evidence.event_log), evidence.hash_alg)
        policy = dataclasses.replace(learned, updated_at=self._clock.now())
        await self._event_policies.put_event_policy(policy)
        return policy

    async def _device(self, device_id: str) -> Device:
        device = await self._repo.device(device_id)
        if device is None or device.decommissioned:
            raise DeviceNotFound(device_id)
        return device

    async def _target(self, device_id: str) -> _Target:
        device = await self._device(device_id)
        if not device.tpm_enabled:
            raise AttestationFailed(
                f"Device {device_id} has no TPM (tpm_enabled is false), so it cannot be attested",
                details={"device_id": device_id},
            )
        key = await self._repo.get_key(device_id)
        if key is None or not key.activated:
            raise AttestationFailed(
                f"Device {device_id} has no activated attestation key; enrol it first",
                details={"device_id": device_id},
            )
        policies = [await self._repo.get_policy(scope) for scope in scopes_for(device)]
        event_policy = None
        if self._event_policies is not None:
            event_policy = first_matching(
                [await self._event_policies.get_event_policy(scope) for scope in scopes_for(device)]
            )
        return _Target(device, key, first_matching(policies), event_policy)

    async def _challenge(
        self, target: _Target, pcrs: Sequence[int] | None = None, bank: HashAlg | None = None
    ) -> Challenge:
        policy = target.policy
        pcrs = pcrs or (policy.selection if policy else self._default_pcrs)
        if target.event_policy is not None:  # its rules read events only the quoted PCRs prove
            pcrs = sorted(set(pcrs) | set(target.event_policy.required_pcrs))
        bank = bank or (policy.bank if policy else HashAlg.SHA256)
        nonce = Nonce.issue(target.device.id, self._clock.now(), self._nonce_ttl)
        await self._nonces.issue(nonce)
        return Challenge(nonce, tuple(pcrs), bank)

    async def _quote(
        self, target: _Target, pcrs: Sequence[int] | None = None, bank: HashAlg | None = None
    ) -> _Item:
        challenge = await self._challenge(target, pcrs, bank)
        value = challenge.nonce.value
        evidence = await self._gateway.request_quote(target.device.id, value, challenge.pcrs, challenge.bank)
        return target, value, evidence, self._clock.now(), challenge.nonce.issued_at

    async def _judge(self, items: list[_Item]) -> list[AttestationVerdict]:
        return await self._record(items, await self._verify(items))

    async def _verify(self, items: list[_Item]) -> list[QuoteResult]:
        checks = [
            QuoteCheck(evidence, target.key.key, nonce, _pcr_policy(target, evidence))
            for target, nonce, evidence, _, _ in items
        ]
        # Signature checks are CPU-bound: keep the event loop responsive.
        return await asyncio.to_thread(self._verifier.verify_batch, checks) if checks else []

    async def _record(self, items: list[_Item], results: list[QuoteResult]) -> list[AttestationVerdict]:
        logs = await self._check_logs(items, results)
        verdicts = []
        for (target, nonce, evidence, received_at, challenged_at), result, log in zip(
            items, results, logs, strict=True
        ):
            device_id = target.device.id
            if not log.ok:
                result = QuoteResult(log.reason, log.mismatched_pcrs, result.clock, result.firmware_version)
            # Freshness is judged on arrival: time spent in our verifier is not the device's fault.
            status = await self._nonces.consume(device_id, nonce, received_at)
            last = await self._repo.last_accepted_clock(device_id)
            verdict = judge(
                device_id,
                evidence.pcr_values,
                evidence.hash_alg,
                result,
                status,
                last,
                self._clock.now(),
                self._verifier.name,
            )
            if challenged_at is not None:  # the TPM operation as the fleet sees it: challenge to verdict
                verdict.tpm_latency_seconds = max(0.0, (verdict.timestamp - challenged_at).total_seconds())
            if verdict.reasons == [str(log.reason)]:  # the log's failure is the verdict's: say what failed
                verdict.failed_events = [failure.as_dict() for failure in log.failed_events]
                verdict.event_log_error = log.error
            await self._repo.add_verdict(verdict)
            verdicts.append(verdict)
            if self._events is not None:
                await self._events.publish(
                    AttestationRecorded(
                        device_id,
                        verdict.timestamp,
                        verdict.status.value,
                        tuple(verdict.reasons),
                        verdict.tpm_latency_seconds,
                        tuple(verdict.failed_events),
                    )
                )
        return verdicts

    async def _check_logs(self, items: list[_Item], results: list[QuoteResult]) -> list[LogVerdict]:
        """Event logs of the quotes that verified: replayed in one batch and judged (check_log), off the
        event loop like the signatures."""
        judged = [LogVerdict()] * len(items)
        todo = []
        for i, ((target, _, evidence, _, _), result) in enumerate(zip(items, results, strict=True)):
            if result.ok and evidence.event_log is not None:
                todo.append(i)
            elif result.ok and target.event_policy is not None:  # a policy to judge, nothing to judge it on
                judged[i] = LogVerdict(Reason.EVENT_POLICY_MISMATCH, failed_events=(NO_LOG,))
        if todo:
            for i, verdict in zip(todo, await asyncio.to_thread(self._judge_logs, [items[i] for i in todo])):
                judged[i] = verdict
        return judged

    def _judge_logs(self, items: list[_Item]) -> list[LogVerdict]:
        logs = [evidence.event_log or b"" for _, _, evidence, _, _ in items]  # _check_logs: all have one
        replayed = self._replay_batch(logs)
        return [
            check_log(log, outcome, evidence.pcr_values, evidence.hash_alg, target.event_policy)
            for (target, _, evidence, _, _), log, outcome in zip(items, logs, replayed, strict=True)
        ]


def _pcr_policy(target: _Target, evidence: QuoteEvidence) -> Mapping[int, bytes] | None:
    """PCR values are compared only when no event policy judges this quote's log: events, not golden
    values, are what an event policy is for (they survive firmware updates the rules allow)."""
    if target.policy is None or (target.event_policy is not None and evidence.event_log is not None):
        return None
    return target.policy.pcrs
