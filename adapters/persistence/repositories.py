"""SQLAlchemy repositories: filtering, counting and paging happen in SQL."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.tables import (
    device_commands,
    device_credentials,
    device_metrics,
    edge_devices,
    enrollment_tokens,
)
from domain.agents import DeviceCredential, EnrollmentToken
from domain.commands import Command, CommandStatus
from domain.devices import Device, DeviceStatus, MetricSample
from domain.errors import Conflict
from domain.pagination import Page, PageRequest

# Every field is a column, selected in field order: rows build devices positionally.
_DEVICE_COLUMNS = [edge_devices.c[f.name] for f in fields(Device)]
_GET_MANY = (
    select(*_DEVICE_COLUMNS)
    .where(edge_devices.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(edge_devices.c.id)
    .with_for_update(key_share=True)
)
_TELEMETRY = ("cpu_usage", "memory_usage", "temperature", "uptime_seconds", "last_heartbeat")
_SAVE_TELEMETRY = (
    update(edge_devices)
    .where(edge_devices.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _TELEMETRY})
)
_SAVE_TELEMETRY_AND_STATUS = _SAVE_TELEMETRY.values(status=bindparam("status"))
_SAMPLE_COLUMNS = [c.name for c in device_metrics.c if c.name != "id"]
# Core, one round trip: a device's first heartbeat on a worker (or after the cache) pays this read.
_IN_SERVICE = (
    select(*[device_credentials.c[f.name] for f in fields(DeviceCredential)])
    .join(edge_devices, edge_devices.c.id == device_credentials.c.device_id)
    .where(
        device_credentials.c.device_id == bindparam("device_id"), edge_devices.c.decommissioned_at.is_(None)
    )
)


class SqlDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded_status: dict[str, DeviceStatus] = {}

    async def add(self, device: Device) -> None:
        self._session.add(device)

    async def get(self, device_id: str) -> Device | None:
        return await self._session.get(Device, device_id)

    async def get_many(self, device_ids: list[str]) -> dict[str, Device]:
        """Core, not the ORM (the heartbeat path): the rows are locked against a concurrent batch of
        another worker, in id order so two batches never wait on each other in a circle."""
        rows = await self._session.execute(_GET_MANY, {"ids": device_ids})
        devices = {row.id: Device(*row) for row in rows}  # columns in the field order
        self._loaded_status.update((device.id, device.status) for device in devices.values())
        return devices

    async def save_telemetry(self, devices: list[Device]) -> None:
        """The newest figures of each device; status only where it changed (a trigger counts those)."""
        same, changed = [], []
        for device in devices:
            values = {name: getattr(device, name) for name in _TELEMETRY}
            values["b_id"] = device.id
            if device.status is self._loaded_status.get(device.id, device.status):
                same.append(values)
            else:
                changed.append(values | {"status": device.status})
        if same:
            await self._session.execute(_SAVE_TELEMETRY, same)
        if changed:
            await self._session.execute(_SAVE_TELEMETRY_AND_STATUS, changed)

    async def silent_since(self, before: datetime, limit: int) -> list[Device]:
        c = edge_devices.c
        query = (
            select(Device)
            .where(
                c.status.in_([DeviceStatus.ONLINE, DeviceStatus.DEGRADED]),
                c.last_heartbeat < before,
                c.decommissioned_at.is_(None),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(query))


class SqlMetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, sample: MetricSample) -> None:
        self._session.add(sample)

    async def add_many(self, samples: list[MetricSample]) -> None:
        """One multi-row insert (the heartbeat path's group commit), ids left to the database."""
        if samples:
            await self._session.execute(
                insert(device_metrics),
                [{name: getattr(s, name) for name in _SAMPLE_COLUMNS} for s in samples],
            )


class SqlCommandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, command: Command) -> None:
        self._session.add(command)
        try:
            await self._session.flush()  # assigns the id the caller returns
        except IntegrityError as exc:
            # Only the (device, idempotency key) uniqueness can fail here: a concurrent twin won.
            raise Conflict("A request with this Idempotency-Key is being processed; retry") from exc

    async def get(self, device_id: str, command_id: int) -> Command | None:
        command = await self._session.get(Command, command_id)
        return command if command is not None and command.device_id == device_id else None

    async def by_idempotency_key(self, device_id: str, key: str) -> Command | None:
        c = device_commands.c
        return await self._session.scalar(
            select(Command).where(c.device_id == device_id, c.idempotency_key == key)
        )

    async def list(self, device_id: str, status: CommandStatus | None, page: PageRequest) -> Page[Command]:
        c = device_commands.c
        conditions = [c.device_id == device_id] + ([c.status == status] if status is not None else [])
        total = await self._session.scalar(
            select(func.count()).select_from(device_commands).where(*conditions)
        )
        rows = await self._session.scalars(
            select(Command).where(*conditions).order_by(c.id.desc()).limit(page.limit).offset(page.offset)
        )
        return Page(items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)

    async def claim_queued(self, device_id: str, limit: int) -> list[Command]:
        c = device_commands.c
        query = (
            select(Command)
            .where(c.device_id == device_id, c.status == CommandStatus.QUEUED)
            .order_by(c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(query))

    async def due(self, now: datetime, limit: int) -> list[Command]:
        c = device_commands.c
        unfinished = [CommandStatus.QUEUED, CommandStatus.DELIVERED, CommandStatus.RUNNING]
        query = (
            select(Command)
            .where(c.status.in_(unfinished), c.deadline <= now)
            .order_by(c.deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(query))


class SqlEnrollmentTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: EnrollmentToken) -> None:
        self._session.add(token)
        await self._session.flush()

    async def by_hash(self, token_hash: str) -> EnrollmentToken | None:
        query = select(EnrollmentToken).where(enrollment_tokens.c.token_hash == token_hash).with_for_update()
        return await self._session.scalar(query)


class SqlCredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, device_id: str) -> DeviceCredential | None:
        return await self._session.get(DeviceCredential, device_id)

    async def in_service(self, device_id: str) -> DeviceCredential | None:
        row = (await self._session.execute(_IN_SERVICE, {"device_id": device_id})).first()
        return DeviceCredential(*row) if row is not None else None

    async def put(self, credential: DeviceCredential) -> None:
        existing = await self.get(credential.device_id)
        if existing is None:
            self._session.add(credential)
        else:
            existing.secret_hash, existing.created_at = credential.secret_hash, credential.created_at
            existing.revoked_at = None
