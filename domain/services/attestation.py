"""Remote attestation use cases: challenge a device, verify its quote, keep verdicts and baselines."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import HashAlg, QuoteCheck, QuoteEvidence
from domain.attestation.nonce import DEFAULT_NONCE_TTL, Challenge, Nonce
from domain.attestation.policy import PolicyScope, ReferencePolicy, first_matching, scopes_for
from domain.attestation.verdict import AttestationVerdict, BatchReport, judge
from domain.devices import Device
from domain.errors import AttestationFailed, DeviceNotFound, DeviceUnreachable, DomainError
from domain.events import AttestationRecorded
from ports.attestation import AttestationRepository, DeviceGateway, NonceStore
from ports.clock import Clock
from ports.events import EventBus
from ports.verifier import QuoteVerifier

# Firmware, boot configuration, option ROMs, boot loader and Secure Boot state on PC-Client-style TPMs.
DEFAULT_PCRS = (0, 1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class _Target:
    device: Device
    key: EnrolledKey
    policy: ReferencePolicy | None


# A quote to judge: whose, the nonce it answers, the evidence, and when the server received it.
_Item = tuple[_Target, bytes, QuoteEvidence, datetime]


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
        events: EventBus | None = None,
    ) -> None:
        self._repo, self._nonces, self._gateway = repo, nonces, gateway
        self._verifier, self._clock = verifier, clock
        self._nonce_ttl = nonce_ttl
        self._default_pcrs = tuple(default_pcrs)
        self._concurrency = concurrency
        self._events = events

    async def issue_challenge(self, device_id: str) -> Challenge:
        return await self._challenge(await self._target(device_id))

    async def submit_evidence(
        self, device_id: str, nonce: bytes, evidence: QuoteEvidence
    ) -> AttestationVerdict:
        """A device answers a challenge it was issued (the agent pushes its quote)."""
        target = await self._target(device_id)
        [verdict] = await self._judge([(target, nonce, evidence, self._clock.now())])
        return verdict

    async def verify_device(self, device_id: str) -> AttestationVerdict:
        [verdict] = await self._judge([await self._quote(await self._target(device_id))])
        return verdict

    async def verify_many(
        self, device_ids: Iterable[str], on_progress: Callable[[int, int], None] | None = None
    ) -> BatchReport:
        """Challenge devices concurrently, then verify every quote collected in one verifier batch."""
        report, targets = BatchReport(), []
        for device_id in device_ids:
            try:
                targets.append(await self._target(device_id))
            except DomainError as exc:
                report.skipped[device_id] = exc
        gate, done = asyncio.Semaphore(self._concurrency), 0

        async def collect(target: _Target):
            nonlocal done
            async with gate:
                try:
                    return await self._quote(target)
                except DeviceUnreachable:
                    report.unreachable.append(target.device.id)
                except DomainError as exc:  # one device's failure must not sink the batch
                    report.skipped[target.device.id] = exc
                finally:
                    done += 1
                    if on_progress:
                        on_progress(done, len(targets))

        collected = [item for item in await asyncio.gather(*map(collect, targets)) if item]
        report.verdicts = await self._judge(collected)
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
        return _Target(device, key, first_matching(policies))

    async def _challenge(
        self, target: _Target, pcrs: Sequence[int] | None = None, bank: HashAlg | None = None
    ) -> Challenge:
        policy = target.policy
        pcrs = pcrs or (policy.selection if policy else self._default_pcrs)
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
        return target, value, evidence, self._clock.now()

    async def _judge(self, items: list[_Item]) -> list[AttestationVerdict]:
        checks = [
            QuoteCheck(evidence, target.key.key, nonce, target.policy.pcrs if target.policy else None)
            for target, nonce, evidence, _ in items
        ]
        # Signature checks are CPU-bound: keep the event loop responsive.
        results = await asyncio.to_thread(self._verifier.verify_batch, checks) if checks else []
        verdicts = []
        for (target, nonce, evidence, received_at), result in zip(items, results, strict=True):
            device_id = target.device.id
            # Freshness is judged on arrival: time spent in our verifier is not the device's fault.
            status = await self._nonces.consume(device_id, nonce, received_at)
            last = await self._repo.last_accepted_clock(device_id)
            verdict = judge(
                device_id, evidence.pcr_values, evidence.hash_alg, result, status, last, self._clock.now(),
                self._verifier.name,
            )
            await self._repo.add_verdict(verdict)
            verdicts.append(verdict)
            if self._events is not None:
                await self._events.publish(AttestationRecorded(device_id, verdict.timestamp, verdict.status.value,
                                                               tuple(verdict.reasons)))
        return verdicts
