"""SQL implementations of the attestation ports: AK records, verdicts, reference policies, nonces."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from adapters.persistence.tables import (
    attestation_keys,
    attestation_nonces,
    device_attestations,
    reference_policies,
)
from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import AttestationKey, ClockInfo, HashAlg, KeyType, SigScheme
from domain.attestation.nonce import Nonce, NonceStatus
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.attestation.verdict import AttestationVerdict, VerdictStatus
from domain.devices import AttestationState, Device, DeviceStatus
from ports.signals import Signals


def policy_scope_key(scope: PolicyScope) -> str:
    # JSON keeps model and version apart whatever characters they hold (PostgreSQL rejects NUL bytes).
    return (
        f"device:{scope.device_id}"
        if scope.is_device
        else "model:" + json.dumps([scope.model, scope.firmware_version])
    )


def _hex_map(values) -> dict[str, str]:
    return {str(index): value.hex() for index, value in sorted(values.items())}


def _bytes_map(values: dict | None) -> dict[int, bytes]:
    return {int(index): bytes.fromhex(value) for index, value in (values or {}).items()}


def _key_row(record: EnrolledKey) -> dict:
    return dict(
        device_id=record.device_id,
        key_type=record.key.key_type.value,
        scheme=int(record.key.scheme) if record.key.scheme is not None else None,
        hash_alg=int(record.key.hash_alg),
        spki_der=record.key.spki_der,
        name=record.key.name,
        ak_public=record.ak_public,
        ek_public=record.ek_public,
        ek_certificate=record.ek_certificate,
        activated=record.activated,
        challenge_digest=record.challenge_digest,
        challenge_expires_at=record.challenge_expires_at,
        enrolled_at=record.enrolled_at,
        activated_at=record.activated_at,
    )


def _key_from(row) -> EnrolledKey:
    key = AttestationKey(
        spki_der=row.spki_der,
        key_type=KeyType(row.key_type),
        scheme=SigScheme(row.scheme) if row.scheme is not None else None,
        hash_alg=HashAlg(row.hash_alg),
        name=row.name,
    )
    return EnrolledKey(
        device_id=row.device_id,
        key=key,
        ak_public=row.ak_public,
        ek_public=row.ek_public,
        ek_certificate=row.ek_certificate,
        activated=row.activated,
        challenge_digest=row.challenge_digest,
        challenge_expires_at=row.challenge_expires_at,
        enrolled_at=row.enrolled_at,
        activated_at=row.activated_at,
    )


def _verdict_row(v: AttestationVerdict) -> dict:
    composite = hashlib.sha256(b"".join(value for _, value in sorted(v.pcr_values.items()))).hexdigest()
    clock = v.clock
    return dict(
        device_id=v.device_id,
        tpm_version=v.tpm_version,
        attestation_status=v.status.value,
        timestamp=v.timestamp,
        pcr_hash=composite if v.pcr_values else None,
        reasons=list(v.reasons),
        pcr_values=_hex_map(v.pcr_values),
        mismatched_pcrs=list(v.mismatched_pcrs),
        bank=int(v.bank),
        clock=clock.clock if clock else None,
        reset_count=clock.reset_count if clock else None,
        restart_count=clock.restart_count if clock else None,
        clock_safe=clock.safe if clock else None,
        tpm_firmware_version=str(v.firmware_version) if v.firmware_version is not None else None,
        reboot_observed=v.reboot_observed,
        verifier=v.verifier,
        tpm_latency_seconds=v.tpm_latency_seconds,
        failed_events=list(v.failed_events) or None,
        event_log_error=v.event_log_error,
    )


def _verdict_from(row) -> AttestationVerdict:
    clock = None
    if row.clock is not None:
        clock = ClockInfo(row.clock, row.reset_count, row.restart_count, bool(row.clock_safe))
    return AttestationVerdict(
        device_id=row.device_id,
        status=VerdictStatus(row.attestation_status),
        reasons=list(row.reasons or []),
        timestamp=row.timestamp,
        pcr_values=_bytes_map(row.pcr_values),
        mismatched_pcrs=list(row.mismatched_pcrs or []),
        bank=HashAlg(row.bank or HashAlg.SHA256),
        clock=clock,
        firmware_version=int(row.tpm_firmware_version) if row.tpm_firmware_version else None,
        reboot_observed=bool(row.reboot_observed),
        verifier=row.verifier,
        tpm_version=row.tpm_version or "2.0",
        tpm_latency_seconds=row.tpm_latency_seconds,
        id=row.id,
        failed_events=list(row.failed_events or []),
        event_log_error=row.event_log_error,
    )


def _policy_from(row) -> ReferencePolicy:
    scope = PolicyScope(device_id=row.device_id, model=row.model, firmware_version=row.firmware_version)
    return ReferencePolicy(
        scope=scope, pcrs=_bytes_map(row.pcrs), bank=HashAlg(row.bank), updated_at=row.updated_at
    )


STATUS_TOPIC = "cache:attestation:"


class SqlAttestationRepository:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker,
        on_device_changed: Callable[[], None] = lambda: None,
        latest_ttl_seconds: float = 300.0,
        signals: Signals | None = None,
    ) -> None:
        self._engine = engine
        self._signals = signals
        if signals is not None:
            signals.listen(STATUS_TOPIC, self._forget_status)
        self._sessions = sessions
        self._on_device_changed = on_device_changed
        # The API contract caches attestation status for 5 minutes. A verdict written here replaces the
        # cached one at once (write-through) and, over Signals, drops it on every other worker.
        self._latest: dict[str, tuple[float, AttestationVerdict | None]] = {}
        self._latest_ttl = latest_ttl_seconds

    async def device(self, device_id: str) -> Device | None:
        async with self._sessions() as session:
            return await session.get(Device, device_id)

    async def save_key(self, record: EnrolledKey) -> None:
        row = _key_row(record)
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                update(attestation_keys).where(attestation_keys.c.device_id == record.device_id).values(**row)
            )
            if changed.rowcount == 0:
                await connection.execute(attestation_keys.insert().values(**row))
        self._on_device_changed()  # an activated key counts in the fleet's device binding

    async def get_key(self, device_id: str) -> EnrolledKey | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(attestation_keys).where(attestation_keys.c.device_id == device_id)
                )
            ).first()
        return _key_from(row) if row else None

    async def add_verdict(self, verdict: AttestationVerdict) -> None:
        """The verdict and the device's denormalised attestation state change together."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(device_attestations.insert().values(**_verdict_row(verdict)))
            verdict.id = result.inserted_primary_key[0]
            device = await session.get(Device, verdict.device_id, with_for_update=True)
            if device is not None:
                device.attestation_status = AttestationState(verdict.status.value)
                if device.status is DeviceStatus.ONLINE and not verdict.succeeded:
                    device.status = DeviceStatus.DEGRADED
        if self._signals is not None:
            self._signals.publish(STATUS_TOPIC + verdict.device_id)  # first: it drops this worker's entry too
        self._latest[verdict.device_id] = (time.monotonic() + self._latest_ttl, verdict)
        self._on_device_changed()

    def _forget_status(self, topic: str) -> None:
        device_id = topic.removeprefix(STATUS_TOPIC)
        if device_id:
            self._latest.pop(device_id, None)
        else:  # the channel was lost: anything may have changed
            self._latest.clear()

    async def latest_verdict(self, device_id: str) -> AttestationVerdict | None:
        cached = self._latest.get(device_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        verdict = await self._latest_from_store(device_id)
        if len(self._latest) > 100_000:
            self._latest.clear()
        self._latest[device_id] = (time.monotonic() + self._latest_ttl, verdict)
        return verdict

    async def _latest_from_store(self, device_id: str) -> AttestationVerdict | None:
        c = device_attestations.c
        query = (
            select(device_attestations)
            .where(c.device_id == device_id)
            .order_by(c.timestamp.desc(), c.id.desc())
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query.limit(1))).first()
        return _verdict_from(row) if row else None

    async def last_accepted_clock(self, device_id: str) -> ClockInfo | None:
        c = device_attestations.c
        query = (
            select(device_attestations)
            .where(
                c.device_id == device_id,
                c.attestation_status == VerdictStatus.SUCCESS.value,
                c.clock.is_not(None),
            )
            .order_by(c.timestamp.desc(), c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _verdict_from(row).clock if row else None

    async def get_policy(self, scope: PolicyScope) -> ReferencePolicy | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(reference_policies).where(
                        reference_policies.c.scope_key == policy_scope_key(scope)
                    )
                )
            ).first()
        return _policy_from(row) if row else None

    async def put_policy(self, policy: ReferencePolicy) -> None:
        s = policy.scope
        row = dict(
            scope_key=policy_scope_key(s),
            device_id=s.device_id,
            model=s.model,
            firmware_version=s.firmware_version,
            bank=int(policy.bank),
            pcrs=_hex_map(policy.pcrs),
            updated_at=policy.updated_at,
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(reference_policies).where(reference_policies.c.scope_key == row["scope_key"])
            )
            await connection.execute(reference_policies.insert().values(**row))

    async def delete_policy(self, scope: PolicyScope) -> bool:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(reference_policies).where(reference_policies.c.scope_key == policy_scope_key(scope))
            )
        return result.rowcount > 0

    async def list_policies(self) -> list[ReferencePolicy]:
        c = reference_policies.c
        query = select(reference_policies).order_by(
            c.device_id.is_(None), c.device_id, c.model, c.firmware_version
        )
        async with self._engine.connect() as connection:
            return [_policy_from(row) for row in await connection.execute(query)]


class SqlNonceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def issue(self, nonce: Nonce) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                attestation_nonces.insert().values(
                    value=nonce.value.hex(),
                    device_id=nonce.device_id,
                    issued_at=nonce.issued_at,
                    expires_at=nonce.expires_at,
                )
            )

    async def consume(self, device_id: str, value: bytes, now: datetime) -> NonceStatus:
        """One conditional UPDATE claims the nonce, so two racing quotes cannot both find it unused."""
        c = attestation_nonces.c
        key = bytes(value).hex()
        async with self._engine.begin() as connection:
            claimed = await connection.execute(
                update(attestation_nonces)
                .where(c.value == key, c.device_id == device_id, c.used_at.is_(None))
                .values(used_at=now)
                .returning(c.expires_at)
            )
            expires_at = claimed.scalar()
            if expires_at is not None:
                return NonceStatus.EXPIRED if now >= expires_at else NonceStatus.VALID
            known = await connection.scalar(select(c.used_at).where(c.value == key, c.device_id == device_id))
        return NonceStatus.REUSED if known is not None else NonceStatus.UNKNOWN

    async def purge(self, before: datetime) -> int:
        """Forget nonces that expired before ``before`` (used or not): they can only ever fail."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(attestation_nonces).where(attestation_nonces.c.expires_at < before)
            )
        return result.rowcount
