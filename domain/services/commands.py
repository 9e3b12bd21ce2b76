"""Command use cases: operators queue and follow commands, devices fetch and report them."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from typing import Any

from domain.access import Permission, Principal
from domain.commands import SAFE_COMMANDS, Command, CommandStatus, parse_command
from domain.errors import Conflict, DeviceNotFound, DomainError
from domain.events import CommandChanged
from domain.pagination import Page, PageRequest
from ports.clock import Clock
from ports.events import EventBus
from ports.signals import Signals
from ports.unit_of_work import UnitOfWork

# While waiting, re-read the store this often: in one process signals wake waiters at once, so this only
# bounds the delay for work written by another API worker (and costs one query per waiter per period).
POLL_SECONDS = 5.0


class CommandNotFound(DomainError):
    code = "COMMAND_NOT_FOUND"


class CommandForbidden(DomainError):
    code = "FORBIDDEN"


def command_topic(command_id: int) -> str:
    return f"command:{command_id}"


def device_topic(device_id: str) -> str:
    return f"device:{device_id}"


class CommandService:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Clock, signals: Signals, events: EventBus | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._signals = signals
        self._events = events

    async def _changed(self, command: Command) -> None:
        """After a commit: wake waiters and tell listeners (alerts, live stream)."""
        self._signals.publish(command_topic(command.saved_id))
        if self._events is not None:
            message = (command.result or {}).get("message") if isinstance(command.result, dict) else None
            await self._events.publish(
                CommandChanged(
                    command.device_id,
                    self._clock.now(),
                    command.saved_id,
                    command.command.value,
                    command.status.value,
                    message if isinstance(message, str) else None,
                )
            )

    async def submit(
        self,
        principal: Principal,
        device_id: str,
        name: str,
        parameters: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> tuple[Command, bool]:
        """Queue a command; returns it and whether it is new (False: an idempotent retry)."""
        command_name = parse_command(name)
        if command_name not in SAFE_COMMANDS and not principal.may(Permission.COMMANDS_PRIVILEGED):
            raise CommandForbidden(f"Only admins may run '{command_name}'")
        async with self._uow() as uow:
            device = await uow.devices.get(device_id)
            if device is None or device.decommissioned:
                raise DeviceNotFound(device_id)
            if idempotency_key is not None:
                earlier = await uow.commands.by_idempotency_key(device_id, idempotency_key)
                if earlier is not None:
                    if not earlier.same_request(name, parameters):
                        raise Conflict("Idempotency-Key was already used for a different request")
                    return earlier, False
            command = Command.create(
                device_id, name, parameters, principal.subject, self._clock.now(), idempotency_key
            )
            await uow.commands.add(command)
            await uow.commit()
        self._signals.publish(device_topic(device_id))
        await self._changed(command)
        return command, True

    async def get(self, device_id: str, command_id: int) -> Command:
        async with self._uow() as uow:
            command = await uow.commands.get(device_id, command_id)
            if command is None:
                raise CommandNotFound(f"Command {command_id} not found for device {device_id}")
            if command.expire_if_due(self._clock.now()):
                await uow.commit()
            return command

    async def wait(self, device_id: str, command_id: int, seconds: float) -> Command:
        """The command once finished, or as it stands after ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            command = await self.get(device_id, command_id)
            remaining = deadline - loop.time()
            if command.finished or remaining <= 0:
                return command
            await self._signals.wait(command_topic(command_id), min(remaining, POLL_SECONDS))

    async def list(self, device_id: str, status: CommandStatus | None, page: PageRequest) -> Page[Command]:
        async with self._uow() as uow:
            if await uow.devices.get(device_id) is None:
                raise DeviceNotFound(device_id)
            return await uow.commands.list(device_id, status, page)

    async def cancel(self, device_id: str, command_id: int) -> Command:
        async with self._uow() as uow:
            command = await uow.commands.get(device_id, command_id)
            if command is None:
                raise CommandNotFound(f"Command {command_id} not found for device {device_id}")
            command.cancel(self._clock.now())
            await uow.commit()
        await self._changed(command)
        return command

    async def next_for_device(
        self,
        device_id: str,
        seconds: float,
        limit: int = 10,
        still_listening: Callable[[], bool] = lambda: True,
    ) -> builtins.list[Command]:
        """Long-poll: claim queued commands at once, or wait up to ``seconds`` for some. Any wake-up on
        the device's topic ends the wait (possibly empty-handed), since the caller may have other work
        for the device, such as an attestation challenge."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            # A poll whose device hung up must not claim work it can never receive.
            claimed = await self._claim(device_id, limit) if still_listening() else []
            remaining = deadline - loop.time()
            if claimed or remaining <= 0 or not still_listening():
                return claimed
            if await self._signals.wait(device_topic(device_id), min(remaining, POLL_SECONDS)):
                return await self._claim(device_id, limit) if still_listening() else []

    async def _claim(self, device_id: str, limit: int) -> builtins.list[Command]:
        now = self._clock.now()
        async with self._uow() as uow:
            commands = []
            for command in await uow.commands.claim_queued(device_id, limit):
                if command.expire_if_due(now):
                    continue
                command.deliver(now)
                commands.append(command)
            await uow.commit()
        for command in commands:
            await self._changed(command)
        return commands

    async def report(
        self, device_id: str, command_id: int, status: CommandStatus, result: dict[str, Any] | None
    ) -> Command:
        async with self._uow() as uow:
            command = await uow.commands.get(device_id, command_id)
            if command is None:
                raise CommandNotFound(f"Command {command_id} not found for device {device_id}")
            if command.expire_if_due(self._clock.now()):
                await uow.commit()
                raise Conflict(f"Command {command_id} timed out before the report arrived")
            command.report(status, result, self._clock.now())
            await uow.commit()
        await self._changed(command)
        return command

    async def expire_due(self, batch: int = 500) -> int:
        """Mark unfinished commands past their deadline ``timed_out``; returns how many."""
        async with self._uow() as uow:
            expired = [
                c
                for c in await uow.commands.due(self._clock.now(), batch)
                if c.expire_if_due(self._clock.now())
            ]
            await uow.commit()
        for command in expired:
            await self._changed(command)
        return len(expired)
