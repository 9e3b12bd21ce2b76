"""Command bodies: the API contract's request and result shape, plus lifecycle views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from msgspec import Meta, Struct

from domain.commands import Command


class CommandRequest(Struct, forbid_unknown_fields=True):
    command: Annotated[str, Meta(max_length=64, description="reboot|status|update|diagnose|halt")]
    parameters: dict[str, Any] = {}


def _message(command: Command) -> str | None:
    if command.result is None:
        return None
    message = command.result.get("message")
    return message if isinstance(message, str) else None


class CommandResult(Struct):
    """The API contract's response (success, device_id, command, result, timestamp) with lifecycle fields."""

    success: bool
    device_id: str
    command: str
    result: str | None
    timestamp: datetime
    command_id: int
    status: str
    output: dict[str, Any] | None

    @classmethod
    def of(cls, c: Command) -> CommandResult:
        return cls(
            success=c.status == "succeeded",
            device_id=c.device_id,
            command=c.command.value,
            result=_message(c),
            timestamp=c.executed_at or c.created_at,
            command_id=c.saved_id,
            status=c.status.value,
            output=c.result,
        )


class CommandAccepted(Struct):
    """202: queued or in progress when the wait ended; follow ``location``."""

    command_id: int
    device_id: str
    command: str
    status: str
    timestamp: datetime
    location: str

    @classmethod
    def of(cls, c: Command) -> CommandAccepted:
        return cls(
            command_id=c.saved_id,
            device_id=c.device_id,
            command=c.command.value,
            status=c.status.value,
            timestamp=c.created_at,
            location=f"/api/v1/edge/devices/{c.device_id}/commands/{c.id}",
        )


class CommandView(Struct):
    id: int
    device_id: str
    command: str
    parameters: dict[str, Any]
    status: str
    result: dict[str, Any] | None
    requested_by: str | None
    idempotency_key: str | None
    created_at: datetime
    delivered_at: datetime | None
    started_at: datetime | None
    executed_at: datetime | None
    deadline: datetime | None

    @classmethod
    def of(cls, c: Command) -> CommandView:
        return cls(
            id=c.saved_id,
            device_id=c.device_id,
            command=c.command.value,
            parameters=c.parameters,
            status=c.status.value,
            result=c.result,
            requested_by=c.requested_by,
            idempotency_key=c.idempotency_key,
            created_at=c.created_at,
            delivered_at=c.delivered_at,
            started_at=c.started_at,
            executed_at=c.executed_at,
            deadline=c.deadline,
        )


class CommandList(Struct):
    commands: list[CommandView]
    total: int
    limit: int
    offset: int
