"""Event-based reference policies: admins write them (or learn them from a good device), auditors read."""

from __future__ import annotations

from typing import Any

from domain.attestation.policy import PolicyScope
from domain.errors import DeviceNotFound
from domain.measured_boot.policy import EventPolicy
from domain.services.reference_policies import PolicyNotFound, describe_scope, scope_details
from ports.attestation import AttestationRepository
from ports.clock import Clock
from ports.event_policies import EventPolicyRepository


class EventPolicies:
    def __init__(self, repo: EventPolicyRepository, devices: AttestationRepository, clock: Clock) -> None:
        self._repo, self._devices, self._clock = repo, devices, clock

    async def set_policy(self, scope: PolicyScope, document: dict[str, Any]) -> EventPolicy:
        """ValidationFailed for a document that is not a policy; DeviceNotFound for an unknown device."""
        policy = EventPolicy.from_dict(scope, document, updated_at=self._clock.now())
        if scope.device_id is not None:  # a device's own policy: only for a device in service
            device = await self._devices.device(scope.device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(scope.device_id)
        await self._repo.put_event_policy(policy)
        return policy

    async def get_policy(self, scope: PolicyScope) -> EventPolicy:
        policy = await self._repo.get_event_policy(scope)
        if policy is None:
            raise PolicyNotFound(f"No event policy for {describe_scope(scope)}", details=scope_details(scope))
        return policy

    async def delete_policy(self, scope: PolicyScope) -> None:
        if not await self._repo.delete_event_policy(scope):
            raise PolicyNotFound(f"No event policy for {describe_scope(scope)}", details=scope_details(scope))

    async def list_policies(self) -> list[EventPolicy]:
        return await self._repo.list_event_policies()
