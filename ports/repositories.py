"""Repositories: collections of aggregates, queried and paged in the store, never in Python."""

from __future__ import annotations

import builtins  # CommandRepository has a method named list
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.agents import DeviceCredential, EnrollmentToken
from domain.commands import Command, CommandStatus
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class DeviceFilter:
    platform: Platform | None = None
    status: DeviceStatus | None = None
    location: str | None = None
    include_decommissioned: bool = False
    search: str | None = None  # case-insensitive part of the id or the name
    # what device groups filter on besides (issue 16): exact model, firmware version, a tag
    model: str | None = None
    firmware_version: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class TimeWindow:
    start: datetime | None = None
    end: datetime | None = None


class DeviceRepository(Protocol):
    async def add(self, device: Device) -> None: ...

    async def get(self, device_id: str) -> Device | None:
        """The device, decommissioned or not."""
        ...

    async def silent_since(self, before: datetime, limit: int) -> list[Device]:
        """Online or degraded devices whose last heartbeat is older than ``before``."""
        ...

    async def get_many(self, device_ids: list[str]) -> dict[str, Device]:
        """The devices found, by id, held against concurrent telemetry writers until the unit of work ends."""
        ...

    async def save_telemetry(self, devices: list[Device]) -> None:
        """Write each device's latest figures, last heartbeat and status (devices from ``get_many``)."""
        ...


class CommandRepository(Protocol):
    async def add(self, command: Command) -> None:
        """Stage a new command; its ``id`` is set once the unit of work flushes or commits."""
        ...

    async def get(self, device_id: str, command_id: int) -> Command | None: ...

    async def by_idempotency_key(self, device_id: str, key: str) -> Command | None: ...

    async def list(self, device_id: str, status: CommandStatus | None, page: PageRequest) -> Page[Command]:
        """Newest first."""
        ...

    async def claim_queued(self, device_id: str, limit: int) -> builtins.list[Command]:
        """Oldest queued commands of the device, locked so no other worker claims them too."""
        ...

    async def due(self, now: datetime, limit: int) -> builtins.list[Command]:
        """Unfinished commands whose deadline has passed, locked for the caller."""
        ...


class EnrollmentTokenRepository(Protocol):
    async def add(self, token: EnrollmentToken) -> None: ...

    async def by_hash(self, token_hash: str) -> EnrollmentToken | None:
        """Locked for the caller, so one token is redeemed once even by concurrent enrolments."""
        ...


class CredentialRepository(Protocol):
    async def get(self, device_id: str) -> DeviceCredential | None: ...

    async def in_service(self, device_id: str) -> DeviceCredential | None:
        """The credential of a device still in the fleet (not decommissioned), in one read."""
        ...

    async def put(self, credential: DeviceCredential) -> None:
        """Insert or replace the device's credential (one per device)."""
        ...


class MetricsRepository(Protocol):
    async def add(self, sample: MetricSample) -> None: ...

    async def add_many(self, samples: list[MetricSample]) -> None: ...
