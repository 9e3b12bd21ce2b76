"""Operator command endpoints: run (API contract), follow, list, cancel."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from domain.access import Permission
from domain.commands import CommandStatus
from domain.pagination import PageRequest
from domain.services.commands import CommandService
from entrypoints.http.auth import requires
from entrypoints.http.params import CommandId, Offset
from entrypoints.http.schemas.commands import (
    CommandAccepted,
    CommandList,
    CommandRequest,
    CommandResult,
    CommandView,
)

Commands = NamedDependency[CommandService]
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=128, min_length=1)]


class CommandController(Controller):
    path = "/devices/{device_id:str}"
    tags = ["commands"]

    @post("/command", operation_id="runCommand", guards=[requires(Permission.COMMANDS_SAFE)], status_code=200)
    async def run_command(
        self,
        request: Request,
        device_id: FromPath[str],
        data: JSONBody[CommandRequest],
        commands: Commands,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CommandResult | CommandAccepted]:
        """Queue the command and wait up to ``parameters.timeout`` s (default 30) for its result:
        200 with the result when it finished, 202 with the command id when it is still going."""
        command, _ = await commands.submit(
            request.user, device_id, data.command, data.parameters, idempotency_key
        )
        command = await commands.wait(device_id, command.saved_id, command.parameters["timeout"])
        if command.finished:
            return Response(CommandResult.of(command), status_code=200)
        return Response(CommandAccepted.of(command), status_code=202)

    @get("/commands", operation_id="listCommands", guards=[requires(Permission.COMMANDS_READ)])
    async def list_commands(
        self,
        device_id: FromPath[str],
        commands: Commands,
        status: FromQuery[CommandStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Offset = 0,
    ) -> CommandList:
        page = await commands.list(device_id, status, PageRequest.checked(limit, offset, 100))
        return CommandList([CommandView.of(c) for c in page.items], page.total, page.limit, page.offset)

    @get("/commands/{command_id:int}", operation_id="getCommand", guards=[requires(Permission.COMMANDS_READ)])
    async def get_command(
        self, device_id: FromPath[str], command_id: CommandId, commands: Commands
    ) -> CommandView:
        return CommandView.of(await commands.get(device_id, command_id))

    @post(
        "/commands/{command_id:int}/cancel",
        operation_id="cancelCommand",
        guards=[requires(Permission.COMMANDS_SAFE)],
        status_code=200,
    )
    async def cancel_command(
        self, device_id: FromPath[str], command_id: CommandId, commands: Commands
    ) -> CommandView:
        return CommandView.of(await commands.cancel(device_id, command_id))
