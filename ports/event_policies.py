from __future__ import annotations

from typing import Protocol

from domain.attestation.policy import PolicyScope
from domain.measured_boot.policy import EventPolicy


class EventPolicyRepository(Protocol):
    """Event-based reference policies, one per scope (device, or model + firmware version)."""

    async def get_event_policy(self, scope: PolicyScope) -> EventPolicy | None: ...

    async def put_event_policy(self, policy: EventPolicy) -> None:
        """Insert or replace the policy of ``policy.scope``."""
        ...

    async def delete_event_policy(self, scope: PolicyScope) -> bool:
        """True when a policy existed."""
        ...

    async def list_event_policies(self) -> list[EventPolicy]:
        """Device policies first (by device id), then model policies (by model, firmware version)."""
        ...
