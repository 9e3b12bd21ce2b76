"""Remote commands and their lifecycle.

queued -> delivered -> running -> succeeded | failed | rejected | timed_out | canceled
A command nobody finishes before its deadline ends ``timed_out``; one not yet started may be canceled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import Conflict, InvalidCommand


class CommandName(StrEnum):
    REBOOT = "reboot"
    STATUS = "status"
    UPDATE = "update"
    DIAGNOSE = "diagnose"
    HALT = "halt"


# What an operator may run; the rest (update, halt) is for admins only.
SAFE_COMMANDS = frozenset({CommandName.STATUS, CommandName.DIAGNOSE, CommandName.REBOOT})


class CommandStatus(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"


TERMINAL = frozenset(
    {
        CommandStatus.SUCCEEDED,
        CommandStatus.FAILED,
        CommandStatus.REJECTED,
        CommandStatus.TIMED_OUT,
        CommandStatus.CANCELED,
    }
)
# What a device may report, from each state it can see.
DEVICE_TRANSITIONS = {
    CommandStatus.DELIVERED: {
        CommandStatus.RUNNING,
        CommandStatus.SUCCEEDED,
        CommandStatus.FAILED,
        CommandStatus.REJECTED,
    },
    CommandStatus.RUNNING: {CommandStatus.SUCCEEDED, CommandStatus.FAILED},
}
CANCELABLE = frozenset({CommandStatus.QUEUED, CommandStatus.DELIVERED})

WAIT_DEFAULT, WAIT_MAX = 30, 300
EXPIRES_DEFAULT, EXPIRES_MAX = 3600, 7 * 86400
UPDATE_FIELDS = {"version", "url", "sha256", "signature"}
ARTIFACT_SIZE_MAX = 2**40  # update parameters.size: the artifact's length in bytes


def parse_command(name: str) -> CommandName:
    try:
        return CommandName(name)
    except ValueError:
        allowed = "|".join(c.value for c in CommandName)
        raise InvalidCommand(f"Command '{name}' is not supported (use {allowed})") from None


def check_parameters(command: CommandName, parameters: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise parameters: ``timeout`` (1-300 s the caller waits and the device may take),
    ``force`` (bool), ``expires_in`` (s until an undelivered command times out), and for ``update``
    ``version``/``url``/``sha256``/``size``/``signature``. Anything else is an INVALID_COMMAND."""
    update_fields = UPDATE_FIELDS | {"size"} if command is CommandName.UPDATE else set()
    allowed = {"timeout", "force", "expires_in"} | update_fields
    unknown = set(parameters) - allowed
    if unknown:
        raise InvalidCommand(f"Unknown parameters for {command}: {', '.join(sorted(unknown))}")
    timeout = _int_in(parameters, "timeout", WAIT_DEFAULT, 1, WAIT_MAX)
    expires_in = _int_in(parameters, "expires_in", EXPIRES_DEFAULT, timeout, EXPIRES_MAX)
    force = parameters.get("force", False)
    if not isinstance(force, bool):
        raise InvalidCommand("Parameter 'force' must be true or false")
    clean: dict[str, Any] = {"timeout": timeout, "force": force, "expires_in": expires_in}
    for name in UPDATE_FIELDS & set(parameters):
        value = parameters[name]
        if not isinstance(value, str) or not 0 < len(value) <= 512 or "\x00" in value:
            raise InvalidCommand(f"Parameter '{name}' must be a non-empty string of at most 512 characters")
        clean[name] = value
    if "size" in parameters and command is CommandName.UPDATE:
        clean["size"] = _int_in(parameters, "size", 0, 1, ARTIFACT_SIZE_MAX)
    if command is CommandName.UPDATE and "version" not in clean:
        raise InvalidCommand("update needs parameters.version (the firmware version to install)")
    return clean


def _int_in(parameters: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = parameters.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidCommand(f"Parameter '{name}' must be an integer between {low} and {high}")
    return value


@dataclass(eq=False)
class Command:
    device_id: str
    command: CommandName
    parameters: dict[str, Any]
    requested_by: str
    created_at: datetime
    deadline: datetime
    status: CommandStatus = CommandStatus.QUEUED
    result: dict[str, Any] | None = None
    idempotency_key: str | None = None
    delivered_at: datetime | None = None
    started_at: datetime | None = None
    executed_at: datetime | None = None  # when it reached a terminal state
    id: int | None = field(default=None)

    @property
    def saved_id(self) -> int:
        """The id the store gave it: every command past ``submit`` has one."""
        if self.id is None:
            raise ValueError("the command has not been stored yet")
        return self.id

    @classmethod
    def create(
        cls,
        device_id: str,
        name: str,
        parameters: dict[str, Any],
        requested_by: str,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> Command:
        command = parse_command(name)
        clean = check_parameters(command, parameters)
        return cls(
            device_id=device_id,
            command=command,
            parameters=clean,
            requested_by=requested_by,
            created_at=now,
            deadline=now + timedelta(seconds=clean["expires_in"]),
            idempotency_key=idempotency_key,
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def same_request(self, name: str, parameters: dict[str, Any]) -> bool:
        try:
            return self.command == parse_command(name) and self.parameters == check_parameters(
                self.command, parameters
            )
        except InvalidCommand:
            return False

    def deliver(self, now: datetime) -> None:
        self._require({CommandStatus.QUEUED}, "deliver")
        self.status, self.delivered_at = CommandStatus.DELIVERED, now

    def report(self, status: CommandStatus, result: dict[str, Any] | None, now: datetime) -> None:
        """A device reports progress or an outcome."""
        if status not in DEVICE_TRANSITIONS.get(self.status, set()):
            raise Conflict(f"Command {self.id} is {self.status}; a device cannot move it to {status}")
        self.status = status
        if status is CommandStatus.RUNNING:
            self.started_at = now
        else:
            self.result, self.executed_at = result, now

    def cancel(self, now: datetime) -> None:
        self._require(CANCELABLE, "cancel")
        self.status, self.executed_at = CommandStatus.CANCELED, now

    def expire_if_due(self, now: datetime) -> bool:
        if self.finished or now < self.deadline:
            return False
        self.status, self.executed_at = CommandStatus.TIMED_OUT, now
        self.result = {"message": "No result before the deadline"}
        return True

    def _require(self, allowed: frozenset[CommandStatus] | set[CommandStatus], action: str) -> None:
        if self.status not in allowed:
            raise Conflict(f"Command {self.id} is {self.status} and cannot {action}")
