"""In-memory device and metrics repositories plus a unit of work with real commit/rollback semantics."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Iterable
from datetime import datetime

from adapters.memory.rollouts import InMemoryGroupRepository, InMemoryRolloutRepository, RolloutData
from domain.agents import DeviceCredential, EnrollmentToken
from domain.commands import Command, CommandStatus
from domain.devices import Device, DeviceRecord, DeviceStatus, MetricSample
from domain.metrics_history import MetricPoint, Resolution, aggregate, bucket_start
from domain.pagination import Page, PageRequest
from domain.security import SecurityCounts
from domain.uptime import OnlineSpan
from ports.queries import DeviceView
from ports.repositories import DeviceFilter, TimeWindow


class InMemoryStore:
    """Committed state shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.metrics: list[MetricSample] = []
        self.commands: dict[int, Command] = {}
        self.enrollment_tokens: dict[str, EnrollmentToken] = {}
        self.credentials: dict[str, DeviceCredential] = {}
        self.rollout_data = RolloutData()  # groups, tags, firmware, rollouts


class InMemoryDeviceRepository:
    def __init__(self, devices: dict[str, Device]) -> None:
        self._devices = devices

    async def add(self, device: Device) -> None:
        self._devices[device.id] = device

    async def get(self, device_id: str) -> Device | None:
        return self._devices.get(device_id)

    async def get_many(self, device_ids: list[str]) -> dict[str, Device]:
        return {i: self._devices[i] for i in device_ids if i in self._devices}

    async def save_telemetry(self, devices: list[Device]) -> None:
        """The copies this unit of work changed are published by commit."""

    async def silent_since(self, before: datetime, limit: int) -> list[Device]:
        live = (DeviceStatus.ONLINE, DeviceStatus.DEGRADED)
        return [
            d
            for d in self._devices.values()
            if d.status in live
            and not d.decommissioned
            and d.last_heartbeat is not None
            and d.last_heartbeat < before
        ][:limit]


class InMemoryFleetQueries:
    """Reads the committed store; seals and online spans, kept by other fakes, are given (or none)."""

    def __init__(
        self,
        store: InMemoryStore,
        seal_statuses: Callable[[str], Iterable[str]] | None = None,
        spans: Callable[[str, datetime], list[OnlineSpan]] | None = None,
    ) -> None:
        self._store = store
        self._seal_statuses = seal_statuses or (lambda device_id: frozenset())
        self._spans = spans or (lambda device_id, since: [])

    async def device_view(self, device_id: str, spans_since: datetime) -> DeviceView | None:
        device = self._store.devices.get(device_id)
        if device is None:
            return None
        spans = self._spans(device_id, spans_since) if device.last_heartbeat is not None else []
        return DeviceView(copy.deepcopy(device), frozenset(self._seal_statuses(device_id)), spans)

    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        matching = sorted(
            (
                d
                for d in self._store.devices.values()
                if _matches(d, filters) and _tagged(self._store.rollout_data, d.id, filters)
            ),
            key=lambda d: d.id,
        )
        window: list[DeviceRecord] = list(matching[page.offset : page.offset + page.limit])
        return Page(items=window, total=len(matching), limit=page.limit, offset=page.offset)

    async def history(
        self,
        device_id: str,
        window: TimeWindow,
        page: PageRequest,
        resolution: Resolution,
        include_decommissioned: bool = False,
    ) -> list[MetricPoint] | None:
        device = self._store.devices.get(device_id)
        if device is None or (device.decommissioned and not include_decommissioned):
            return None
        start = window.start
        if start is not None and resolution is not Resolution.RAW:
            start = bucket_start(start, resolution.width)  # rollup buckets overlapping the window
        found = [
            s
            for s in self._store.metrics
            if s.device_id == device_id
            and (start is None or s.timestamp >= start)
            and (window.end is None or s.timestamp <= window.end)
        ]
        if resolution is Resolution.RAW:
            found.sort(key=lambda s: (s.timestamp, s.id), reverse=True)
            points = [MetricPoint.of_sample(s) for s in found]
        else:
            points = aggregate(found, resolution)
        return points[page.offset : page.offset + page.limit]

    async def security_counts(self, fresh_since: datetime) -> SecurityCounts:
        active = [d for d in self._store.devices.values() if not d.decommissioned]
        return SecurityCounts(
            total_devices=len(active),
            secure_devices=sum(d.tee_enabled and d.tpm_enabled for d in active),
            tpm_devices=sum(d.tpm_enabled for d in active),
            attested_fresh=sum(d.tpm_attested for d in active),  # the fake keeps no verdict times
            sealed_devices=0,
            bound_devices=0,
        )

    async def operational_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for device in self._store.devices.values():
            if not device.decommissioned:
                counts[device.status.value] = counts.get(device.status.value, 0) + 1
        counts["queued_commands"] = sum(
            c.status is CommandStatus.QUEUED for c in self._store.commands.values()
        )
        return counts

    async def device_breakdown(self) -> list[tuple[str, str, str | None, int]]:
        groups: dict[tuple, int] = {}
        for d in self._store.devices.values():
            if not d.decommissioned:
                key = (d.platform.value, d.status.value, d.location)
                groups[key] = groups.get(key, 0) + 1
        return [(*key, n) for key, n in groups.items()]

    async def due_for_attestation(self, attested_before: datetime, limit: int) -> list[str]:
        return []  # the fake keeps no verdict times

    def invalidate_devices(self, device_ids: list[str]) -> None:
        """Nothing cached here."""

    def invalidate(self) -> None:
        return None


def _tagged(data: RolloutData, device_id: str, filters: DeviceFilter) -> bool:
    return filters.tag is None or filters.tag in data.tags.get(device_id, [])


def _matches(device: Device, filters: DeviceFilter) -> bool:
    return (
        (filters.model is None or device.model == filters.model)
        and (filters.firmware_version is None or device.firmware_version == filters.firmware_version)
        and (filters.include_decommissioned or not device.decommissioned)
        and (filters.platform is None or device.platform == filters.platform)
        and (filters.status is None or device.status == filters.status)
        and (filters.location is None or device.location == filters.location)
        and (
            filters.search is None
            or any(filters.search.lower() in text.lower() for text in (device.id, device.name))
        )
    )


class InMemoryMetricsRepository:
    def __init__(self, samples: list[MetricSample]) -> None:
        self._samples = samples

    async def add(self, sample: MetricSample) -> None:
        sample.id = len(self._samples) + 1
        self._samples.append(sample)

    async def add_many(self, samples: list[MetricSample]) -> None:
        for sample in samples:
            await self.add(sample)


class InMemoryCommandRepository:
    def __init__(self, commands: dict[int, Command]) -> None:
        self._commands = commands

    async def add(self, command: Command) -> None:
        command.id = max(self._commands, default=0) + 1
        self._commands[command.id] = command

    async def get(self, device_id: str, command_id: int) -> Command | None:
        command = self._commands.get(command_id)
        return command if command is not None and command.device_id == device_id else None

    async def by_idempotency_key(self, device_id: str, key: str) -> Command | None:
        return next(
            (c for c in self._commands.values() if (c.device_id, c.idempotency_key) == (device_id, key)), None
        )

    async def list(self, device_id: str, status: CommandStatus | None, page: PageRequest) -> Page[Command]:
        found = [
            c for c in self._commands.values() if c.device_id == device_id and status in (None, c.status)
        ]
        found.sort(key=lambda c: c.saved_id, reverse=True)
        return Page(found[page.offset : page.offset + page.limit], len(found), page.limit, page.offset)

    async def claim_queued(self, device_id: str, limit: int) -> builtins.list[Command]:
        queued = [
            c
            for c in self._commands.values()
            if c.device_id == device_id and c.status is CommandStatus.QUEUED
        ]
        return sorted(queued, key=lambda c: c.saved_id)[:limit]

    async def due(self, now: datetime, limit: int) -> builtins.list[Command]:
        return [c for c in self._commands.values() if not c.finished and c.deadline <= now][:limit]


class InMemoryEnrollmentTokenRepository:
    def __init__(self, tokens: dict[str, EnrollmentToken]) -> None:
        self._tokens = tokens

    async def add(self, token: EnrollmentToken) -> None:
        token.id = len(self._tokens) + 1
        self._tokens[token.token_hash] = token

    async def by_hash(self, token_hash: str) -> EnrollmentToken | None:
        return self._tokens.get(token_hash)


class InMemoryCredentialRepository:
    def __init__(self, credentials: dict[str, DeviceCredential], devices: dict[str, Device]) -> None:
        self._credentials = credentials
        self._devices = devices

    async def get(self, device_id: str) -> DeviceCredential | None:
        return self._credentials.get(device_id)

    async def in_service(self, device_id: str) -> DeviceCredential | None:
        device = self._devices.get(device_id)
        return None if device is None or device.decommissioned else self._credentials.get(device_id)

    async def put(self, credential: DeviceCredential) -> None:
        self._credentials[credential.device_id] = credential


class InMemoryUnitOfWork:
    """Works on a deep copy of the store; ``commit`` publishes it, anything else discards it."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.committed = False

    async def __aenter__(self) -> InMemoryUnitOfWork:
        self._devices = copy.deepcopy(self._store.devices)
        self._metrics = list(self._store.metrics)
        self._commands = copy.deepcopy(self._store.commands)
        self._tokens = copy.deepcopy(self._store.enrollment_tokens)
        self._credentials = copy.deepcopy(self._store.credentials)
        self._rollout_data = copy.deepcopy(self._store.rollout_data)
        self.devices = InMemoryDeviceRepository(self._devices)
        self.metrics = InMemoryMetricsRepository(self._metrics)
        self.commands = InMemoryCommandRepository(self._commands)
        self.enrollment_tokens = InMemoryEnrollmentTokenRepository(self._tokens)
        self.credentials = InMemoryCredentialRepository(self._credentials, self._devices)
        self.groups = InMemoryGroupRepository(self._rollout_data)
        self.rollouts = InMemoryRolloutRepository(self._rollout_data)
        return self

    async def __aexit__(self, *exc_info) -> None:
        return None

    async def commit(self) -> None:
        self._store.devices = self._devices
        self._store.metrics = self._metrics
        self._store.commands = self._commands
        self._store.enrollment_tokens = self._tokens
        self._store.credentials = self._credentials
        self._store.rollout_data = self._rollout_data
        self.committed = True

    async def rollback(self) -> None:
        await self.__aenter__()
