"""SQL SealRepository over the ``seals`` table."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.seal_tables import seals
from adapters.persistence.tables import edge_devices
from domain.attestation.evidence import HashAlg
from domain.errors import Conflict
from domain.sealing import Seal, SealStatus


def _row(seal: Seal) -> dict:
    return dict(
        id=seal.id,
        device_id=seal.device_id,
        key_id=seal.key_id,
        bank=int(seal.bank),
        pcr_values={str(index): value.hex() for index, value in seal.pcr_values.items()},
        policy_digest=seal.policy_digest,
        sealed_blob=seal.sealed_blob,
        status=seal.status,
        created_at=seal.created_at,
        created_by=seal.created_by,
        revoked_at=seal.revoked_at,
    )


def _seal(row) -> Seal:
    return Seal(
        id=row.id,
        device_id=row.device_id,
        key_id=row.key_id,
        bank=HashAlg(row.bank),
        pcr_values={int(index): bytes.fromhex(value) for index, value in row.pcr_values.items()},
        policy_digest=row.policy_digest,
        sealed_blob=row.sealed_blob,
        created_at=row.created_at,
        created_by=row.created_by,
        status=row.status,
        revoked_at=row.revoked_at,
    )


class SqlSealRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, seal: Seal, *, replaces: Seal | None = None) -> None:
        try:
            async with self._engine.begin() as connection:
                if replaces is not None:
                    c = seals.c
                    revoked = await connection.execute(
                        update(seals)
                        .where(c.id == replaces.id, c.status == SealStatus.ACTIVE)
                        .values(status=SealStatus.REVOKED, revoked_at=replaces.revoked_at)
                    )
                    if revoked.rowcount != 1:  # someone else replaced or revoked it first
                        raise Conflict(
                            f"Seal {replaces.id} changed meanwhile; try again",
                            details={"seal_id": replaces.id},
                        )
                await connection.execute(seals.insert().values(**_row(seal)))
        except IntegrityError as exc:
            raise Conflict(
                f"Device {seal.device_id} already holds an active seal for key {seal.key_id}",
                details={"device_id": seal.device_id, "key_id": seal.key_id},
            ) from exc

    async def get_active(self, device_id: str, key_id: str) -> Seal | None:
        c = seals.c
        query = select(seals).where(
            c.device_id == device_id, c.key_id == key_id, c.status == SealStatus.ACTIVE
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _seal(row) if row else None

    async def list_for_device(self, device_id: str) -> list[Seal]:
        c = seals.c
        query = select(seals).where(c.device_id == device_id).order_by(c.created_at.desc(), c.id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_seal(row) for row in rows]

    async def seal_statuses(self, device_id: str) -> set[str]:
        query = select(seals.c.status).distinct().where(seals.c.device_id == device_id)
        async with self._engine.connect() as connection:
            return set(await connection.scalars(query))

    async def sealed_devices(self, device_ids: Iterable[str]) -> set[str]:
        """Which of ``device_ids`` hold at least one active seal (compliance facts, one query per page)."""
        ids = list(device_ids)
        if not ids:
            return set()
        c = seals.c
        query = select(c.device_id).distinct().where(c.status == SealStatus.ACTIVE, c.device_id.in_(ids))
        async with self._engine.connect() as connection:
            return set(await connection.scalars(query))

    async def count_sealed_devices(self) -> int:
        """Fleet devices (TPM, not decommissioned) with an active seal: metrics' encryption_enabled."""
        c, d = seals.c, edge_devices.c
        query = (
            select(func.count(distinct(c.device_id)))
            .join(edge_devices, d.id == c.device_id)
            .where(c.status == SealStatus.ACTIVE, d.tpm_enabled.is_(True), d.decommissioned_at.is_(None))
        )
        async with self._engine.connect() as connection:
            return int(await connection.scalar(query))
