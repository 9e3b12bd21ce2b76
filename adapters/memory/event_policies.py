"""In-memory ports.event_policies for unit tests."""

from __future__ import annotations

from domain.attestation.policy import PolicyScope
from domain.measured_boot.policy import EventPolicy


class InMemoryEventPolicyRepository:
    def __init__(self) -> None:
        self.policies: dict[PolicyScope, EventPolicy] = {}

    async def get_event_policy(self, scope: PolicyScope) -> EventPolicy | None:
        return self.policies.get(scope)

    async def put_event_policy(self, policy: EventPolicy) -> None:
        self.policies[policy.scope] = policy

    async def delete_event_policy(self, scope: PolicyScope) -> bool:
        return self.policies.pop(scope, None) is not None

    async def list_event_policies(self) -> list[EventPolicy]:
        def order(policy: EventPolicy):
            s = policy.scope
            return (s.device_id is None, s.device_id or "", s.model or "", s.firmware_version or "")

        return sorted(self.policies.values(), key=order)
