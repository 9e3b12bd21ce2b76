"""Reference (golden) PCR policies: admins write them, auditors read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope, ReferencePolicy, first_matching, scopes_for
from domain.errors import DeviceNotFound, DomainError
from ports.attestation import AttestationRepository
from ports.clock import Clock


class PolicyNotFound(DomainError):
    code = "POLICY_NOT_FOUND"


class ReferencePolicies:
    def __init__(self, repo: AttestationRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def set_policy(
        self, scope: PolicyScope, pcrs: Mapping[int, bytes], bank: HashAlg = HashAlg.SHA256
    ) -> ReferencePolicy:
        if scope.device_id is not None:  # a device's own policy: only for a device in service
            device = await self._repo.device(scope.device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(scope.device_id)
        policy = ReferencePolicy(scope, dict(pcrs), bank, updated_at=self._clock.now())
        await self._repo.put_policy(policy)
        return policy

    async def get_policy(self, scope: PolicyScope) -> ReferencePolicy:
        policy = await self._repo.get_policy(scope)
        if policy is None:
            raise PolicyNotFound(
                f"No reference policy for {describe_scope(scope)}", details=scope_details(scope)
            )
        return policy

    async def delete_policy(self, scope: PolicyScope) -> None:
        if not await self._repo.delete_policy(scope):
            raise PolicyNotFound(
                f"No reference policy for {describe_scope(scope)}", details=scope_details(scope)
            )

    async def list_policies(self) -> list[ReferencePolicy]:
        return await self._repo.list_policies()

    async def effective_policy(self, device_id: str) -> ReferencePolicy | None:
        """The policy a device is verified against: its own first, else its model + firmware policy."""
        device = await self._repo.device(device_id)
        if device is None or device.decommissioned:
            raise DeviceNotFound(device_id)
        return first_matching([await self._repo.get_policy(scope) for scope in scopes_for(device)])


def describe_scope(scope: PolicyScope) -> str:
    if scope.is_device:
        return f"device {scope.device_id}"
    return f"model {scope.model} firmware {scope.firmware_version}"


def scope_details(scope: PolicyScope) -> dict[str, Any]:
    return {k: v for k, v in vars(scope).items() if v is not None}
