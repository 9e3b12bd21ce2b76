"""Device-side use cases: enrolment with a one-time token, credential checks, heartbeats, going offline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.access import Principal
from domain.agents import (
    TOKEN_TTL_MAX,
    DeviceCredential,
    EnrollmentToken,
    EnrolmentTokenInvalid,
    RecentCredentials,
    digest,
    split_credential,
)
from domain.audit import AuditRecord, redact
from domain.devices import MISSED_HEARTBEATS_OFFLINE, Device, DeviceFacts, DeviceStatus, MetricSample
from domain.errors import DeviceAlreadyExists, DeviceNotFound, ValidationFailed
from domain.events import DeviceStatusChanged
from domain.services.telemetry import TelemetryRecorder
from ports.audit import AuditLog
from ports.clock import Clock
from ports.events import EventBus
from ports.queries import FleetQueries
from ports.unit_of_work import UnitOfWork

# Facts a device reports about itself at enrolment; an operator's name and location are kept.
SELF_REPORTED = ("platform", "model", "cores", "memory_gb", "firmware_version", "tee_enabled", "tpm_enabled")
FACTS_AUDIT_ACTION = "agentReportFacts"


class AgentService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        queries: FleetQueries,
        telemetry: TelemetryRecorder,
        heartbeat_interval_seconds: int,
        events: EventBus | None = None,
        recent_credentials: RecentCredentials | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._uow = uow
        self._audit = audit
        self._recent = recent_credentials or RecentCredentials(ttl=timedelta(0))
        self._clock = clock
        self._queries = queries
        self._telemetry = telemetry
        self._interval = heartbeat_interval_seconds
        self._events = events

    async def create_enrollment_token(
        self, principal: Principal, ttl: timedelta, device_id: str | None = None
    ) -> tuple[EnrollmentToken, str]:
        if not timedelta(minutes=1) <= ttl <= TOKEN_TTL_MAX:
            raise ValidationFailed("Enrolment token lifetime must be between 1 minute and 30 days")
        token, secret = EnrollmentToken.issue(principal.subject, self._clock.now(), ttl, device_id)
        async with self._uow() as uow:
            await uow.enrollment_tokens.add(token)
            await uow.commit()
        return token, secret

    async def enrol(self, token_secret: str, reported: Device) -> tuple[Device, str]:
        """Redeem the token, register (or, with a token bound to its id, re-provision) the device and
        return it with a fresh credential ``<device_id>.<secret>`` shown only this once."""
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.enrollment_tokens.by_hash(digest(token_secret))
            if token is None:
                raise EnrolmentTokenInvalid("Unknown enrolment token")
            token.redeem(reported.id, now)
            device = await uow.devices.get(reported.id)
            if device is None:
                reported.created_at = reported.updated_at = now
                device = reported
                await uow.devices.add(device)
            elif device.decommissioned or token.device_id != device.id:
                raise DeviceAlreadyExists(device.id)
            else:
                for name in SELF_REPORTED:
                    setattr(device, name, getattr(reported, name))
                device.updated_at = now
            credential, secret = DeviceCredential.issue(device.id, now)
            await uow.credentials.put(credential)
            await uow.commit()
        self._recent.forget(device.id)  # the credential it replaced is no longer accepted
        self._queries.invalidate()
        return device, secret

    async def authenticate(self, credential: str) -> str:
        """The device id a credential belongs to; UNAUTHORIZED otherwise."""
        parts = split_credential(credential)
        if parts is None:
            raise EnrolmentTokenInvalid("Malformed device credential")
        device_id, secret = parts
        now = self._clock.now()
        if self._recent.device_for(credential, now) == device_id:
            return device_id
        revision = self._recent.revision(device_id)
        async with self._uow() as uow:
            stored = await uow.credentials.in_service(device_id)
        if stored is None or not stored.accepts(secret):
            raise EnrolmentTokenInvalid("Unknown or revoked device credential")
        self._recent.remember(credential, device_id, now, revision)
        return device_id

    async def heartbeat(
        self, device_id: str, samples: list[MetricSample], facts: DeviceFacts | None = None
    ) -> DeviceStatus:
        if not samples:
            raise ValidationFailed("A heartbeat carries at least one sample")
        now = self._clock.now()
        if any(s.timestamp > now + timedelta(minutes=5) for s in samples):
            raise ValidationFailed("Sample timestamps must not be in the future (check the device clock)")
        if facts is not None:
            await self.apply_facts(device_id, facts)
        return await self._telemetry.record_batch(device_id, samples)

    async def apply_facts(self, device_id: str, facts: DeviceFacts) -> dict[str, dict[str, object]]:
        """The inventory follows what the device reports (a firmware update, a new NPU card ...); each
        change is audited with its old and new value, like an operator's change. Returns the changes."""
        now = self._clock.now()
        async with self._uow() as uow:
            device = await uow.devices.get(device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(device_id)
            changes = device.apply_facts(facts, now)
            if not changes:
                return changes
            await uow.commit()
        self._queries.invalidate()
        if self._audit is not None:  # after the commit, as the HTTP audit trail records answered calls
            await self._audit.append(
                AuditRecord(
                    at=now,
                    actor=device_id,
                    role="device",
                    action=FACTS_AUDIT_ACTION,
                    method="POST",
                    path=f"/api/v1/agent/devices/{device_id}/heartbeat",
                    outcome=200,
                    device_id=device_id,
                    target={"device_id": device_id},
                    parameters=redact({"changes": changes}),
                )
            )
        return changes

    async def sweep_offline(self, batch: int = 1000) -> int:
        """Devices that missed MISSED_HEARTBEATS_OFFLINE heartbeats go offline; returns how many."""
        now = self._clock.now()
        before = now - timedelta(seconds=self._interval * MISSED_HEARTBEATS_OFFLINE)
        async with self._uow() as uow:
            silent = await uow.devices.silent_since(before, batch)
            changes = [(device.id, device.status.value) for device in silent]
            for device in silent:
                device.mark_offline(now)
            await uow.commit()
        if changes:
            self._queries.invalidate()
        if self._events is not None:
            for device_id, old in changes:
                await self._events.publish(
                    DeviceStatusChanged(device_id, now, old, DeviceStatus.OFFLINE.value)
                )
        return len(changes)

    async def device(self, device_id: str) -> Device:
        async with self._uow() as uow:
            device = await uow.devices.get(device_id)
        if device is None or device.decommissioned:
            raise DeviceNotFound(device_id)
        return device
