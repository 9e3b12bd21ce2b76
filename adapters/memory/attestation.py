"""In-memory attestation repository and nonce store: the fakes unit tests run the use cases against."""

from __future__ import annotations

import copy
from datetime import datetime

from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import ClockInfo
from domain.attestation.nonce import Nonce, NonceStatus
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.attestation.verdict import AttestationVerdict
from domain.devices import AttestationState, Device


class InMemoryAttestationRepository:
    def __init__(self, devices: list[Device] | None = None) -> None:
        self.devices: dict[str, Device] = {d.id: d for d in devices or []}
        self.keys: dict[str, EnrolledKey] = {}
        self.verdicts: list[AttestationVerdict] = []
        self.policies: dict[PolicyScope, ReferencePolicy] = {}

    def add_device(self, device: Device) -> Device:
        self.devices[device.id] = device
        return device

    async def device(self, device_id: str) -> Device | None:
        return self.devices.get(device_id)

    async def save_key(self, record: EnrolledKey) -> None:
        self.keys[record.device_id] = copy.copy(record)  # stored state, not the caller's live object

    async def get_key(self, device_id: str) -> EnrolledKey | None:
        record = self.keys.get(device_id)
        return copy.copy(record) if record else None

    async def add_verdict(self, verdict: AttestationVerdict) -> None:
        verdict.id = len(self.verdicts) + 1
        self.verdicts.append(verdict)
        device = self.devices.get(verdict.device_id)
        if device is not None:
            device.attestation_status = AttestationState(verdict.status.value)

    async def latest_verdict(self, device_id: str) -> AttestationVerdict | None:
        mine = [v for v in self.verdicts if v.device_id == device_id]
        return max(mine, key=lambda v: (v.timestamp, v.id)) if mine else None

    async def last_accepted_clock(self, device_id: str) -> ClockInfo | None:
        accepted = [v for v in self.verdicts if v.device_id == device_id and v.succeeded and v.clock]
        return max(accepted, key=lambda v: (v.timestamp, v.id)).clock if accepted else None

    async def get_policy(self, scope: PolicyScope) -> ReferencePolicy | None:
        return self.policies.get(scope)

    async def put_policy(self, policy: ReferencePolicy) -> None:
        self.policies[policy.scope] = policy

    async def delete_policy(self, scope: PolicyScope) -> bool:
        return self.policies.pop(scope, None) is not None

    async def list_policies(self) -> list[ReferencePolicy]:
        def order(policy: ReferencePolicy):
            s = policy.scope
            return (not s.is_device, s.device_id or "", s.model or "", s.firmware_version or "")

        return sorted(self.policies.values(), key=order)


class InMemoryNonceStore:
    def __init__(self) -> None:
        self.nonces: dict[bytes, Nonce] = {}
        self.used: set[bytes] = set()

    async def issue(self, nonce: Nonce) -> None:
        self.nonces[nonce.value] = nonce

    async def consume(self, device_id: str, value: bytes, now: datetime) -> NonceStatus:
        nonce = self.nonces.get(bytes(value))
        if nonce is None or nonce.device_id != device_id:
            return NonceStatus.UNKNOWN
        if nonce.value in self.used:
            return NonceStatus.REUSED
        self.used.add(nonce.value)
        return NonceStatus.EXPIRED if nonce.expired(now) else NonceStatus.VALID
