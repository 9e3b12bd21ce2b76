"""SQL implementation of ports.event_policies: one row per scope, the rules as a JSON document."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.attestation import policy_scope_key
from adapters.persistence.event_policy_tables import event_policies
from domain.attestation.policy import PolicyScope
from domain.measured_boot.policy import EventPolicy


def _policy_from(row) -> EventPolicy:
    scope = PolicyScope(device_id=row.device_id, model=row.model, firmware_version=row.firmware_version)
    return EventPolicy.from_dict(scope, row.rules, updated_at=row.updated_at)


class SqlEventPolicyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get_event_policy(self, scope: PolicyScope) -> EventPolicy | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(event_policies).where(event_policies.c.scope_key == policy_scope_key(scope))
                )
            ).first()
        return _policy_from(row) if row else None

    async def put_event_policy(self, policy: EventPolicy) -> None:
        s = policy.scope
        row = dict(
            scope_key=policy_scope_key(s),
            device_id=s.device_id,
            model=s.model,
            firmware_version=s.firmware_version,
            rules=policy.as_dict(),
            updated_at=policy.updated_at,
        )
        async with self._engine.begin() as connection:  # one transaction: never a scope without its policy
            await connection.execute(
                delete(event_policies).where(event_policies.c.scope_key == row["scope_key"])
            )
            await connection.execute(event_policies.insert().values(**row))

    async def delete_event_policy(self, scope: PolicyScope) -> bool:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(event_policies).where(event_policies.c.scope_key == policy_scope_key(scope))
            )
        return result.rowcount > 0

    async def list_event_policies(self) -> list[EventPolicy]:
        c = event_policies.c
        query = select(event_policies).order_by(
            c.device_id.is_(None), c.device_id, c.model, c.firmware_version
        )
        async with self._engine.connect() as connection:
            return [_policy_from(row) for row in await connection.execute(query)]
