"""Facts behind compliance scores, fetched in bulk for one page of devices (never per device)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.attestation import policy_scope_key
from adapters.persistence.tables import attestation_keys, device_attestations, reference_policies
from domain.attestation.policy import scopes_for
from domain.compliance import ComplianceFacts
from domain.devices import DeviceRecord


def _policy_keys(device: DeviceRecord) -> list[str]:
    """Where the device's reference policy could be stored: its own, then its model + firmware."""
    return [policy_scope_key(scope) for scope in scopes_for(device)]


class SqlComplianceFacts:
    def __init__(self, engine: AsyncEngine, sealed_devices=None) -> None:
        self._engine = engine
        # async (ids) -> set of device ids holding an active sealed key; wired once sealing exists
        self._sealed_devices = sealed_devices

    async def facts(self, devices: list[DeviceRecord]) -> list[ComplianceFacts]:
        ids = [d.id for d in devices]
        if not ids:
            return []
        k, a, p = attestation_keys.c, device_attestations.c, reference_policies.c
        newest = (
            select(a.device_id, func.max(a.id).label("id")).where(a.device_id.in_(ids)).group_by(a.device_id)
        ).subquery()
        policy_keys = [key for d in devices for key in _policy_keys(d)]
        async with self._engine.connect() as connection:
            keys = {
                row.device_id: row.activated
                for row in await connection.execute(
                    select(k.device_id, k.activated).where(k.device_id.in_(ids))
                )
            }
            verdicts = {
                row.device_id: row
                for row in await connection.execute(
                    select(a.device_id, a.attestation_status, a.timestamp).join(newest, a.id == newest.c.id)
                )
            }
            approved = set(await connection.scalars(select(p.scope_key).where(p.scope_key.in_(policy_keys))))
        sealed = await self._sealed_devices(ids) if self._sealed_devices else set()
        return [
            ComplianceFacts(
                device_id=d.id,
                tee_enabled=d.tee_enabled,
                tpm_enabled=d.tpm_enabled,
                ak_enrolled=d.id in keys,
                ak_activated=bool(keys.get(d.id)),
                last_attestation_ok=(verdicts[d.id].attestation_status == "success")
                if d.id in verdicts
                else None,
                last_attestation_at=verdicts[d.id].timestamp if d.id in verdicts else None,
                firmware_approved=any(key in approved for key in _policy_keys(d)),
                sealed=d.id in sealed,
            )
            for d in devices
        ]
