"""Bulk operations over many devices: one outcome per device, partial failures reported per id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.access import Permission, Principal
from domain.commands import CommandName
from domain.errors import AttestationFailed, DomainError, InvalidCommand, ValidationFailed
from domain.pagination import PageRequest
from domain.services.attestation import AttestationService
from domain.services.commands import CommandForbidden, CommandService
from ports.queries import FleetQueries
from ports.repositories import DeviceFilter

BULK_MAX = 1000
OPERATIONS = {"attest", *(c.value for c in CommandName)}


@dataclass
class DeviceOutcome:
    device_id: str
    success: bool
    status: str  # queued | success | failed | unreachable | error
    command_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    error_code: str | None = None
    message: str | None = None


class BulkOperations:
    def __init__(
        self, commands: CommandService, attestation: AttestationService, queries: FleetQueries
    ) -> None:
        self._commands, self._attestation, self._queries = commands, attestation, queries

    async def attest_due(self, every: timedelta, now: datetime, limit: int = 500) -> int:
        """Periodic attestation: re-attest reachable devices whose last verdict is older than ``every``."""
        due = await self._queries.due_for_attestation(now - every, limit)
        if due:
            await self._attestation.verify_many(due)
        return len(due)

    async def resolve(self, device_ids: list[str] | None, filters: DeviceFilter | None) -> list[str]:
        if device_ids is not None and filters is None:
            return list(dict.fromkeys(device_ids))  # keep order, drop repeats
        if device_ids is not None or filters is None:
            raise ValidationFailed("Give either device_ids or filter")
        page = await self._queries.devices(filters, PageRequest(BULK_MAX))
        if page.total > BULK_MAX:
            raise ValidationFailed(
                f"The filter matches {page.total} devices; at most {BULK_MAX} per bulk call"
            )
        return [d.id for d in page.items]

    async def run(
        self, principal: Principal, operation: str, device_ids: list[str], parameters: dict[str, Any]
    ) -> list[DeviceOutcome]:
        if operation not in OPERATIONS:
            raise InvalidCommand(f"operation must be one of {', '.join(sorted(OPERATIONS))}")
        if operation == "attest":
            if not principal.may(Permission.ATTESTATION_VERIFY):
                raise CommandForbidden("Your role may not trigger attestation")
            return await self._attest(device_ids)
        return [await self._queue(principal, operation, device_id, parameters) for device_id in device_ids]

    async def _queue(
        self, principal: Principal, operation: str, device_id: str, parameters: dict[str, Any]
    ) -> DeviceOutcome:
        try:
            command, _ = await self._commands.submit(principal, device_id, operation, parameters)
        except CommandForbidden:
            raise  # the same for every device: refuse the whole call
        except DomainError as exc:
            return DeviceOutcome(device_id, False, "error", error_code=exc.code, message=exc.message)
        return DeviceOutcome(device_id, True, command.status.value, command_id=command.id)

    async def _attest(self, device_ids: list[str]) -> list[DeviceOutcome]:
        report = await self._attestation.verify_many(device_ids)
        verdicts = {v.device_id: v for v in report.verdicts}
        outcomes = []
        for device_id in device_ids:
            if device_id in verdicts:
                v = verdicts[device_id]
                outcomes.append(
                    DeviceOutcome(device_id, v.succeeded, v.status.value, reasons=list(v.reasons))
                )
            elif device_id in report.unreachable:
                outcomes.append(
                    DeviceOutcome(
                        device_id,
                        False,
                        "unreachable",
                        error_code="DEVICE_UNREACHABLE",
                        message="Device did not answer the challenge",
                    )
                )
            else:
                why = report.skipped.get(device_id) or AttestationFailed("not attested")
                outcomes.append(
                    DeviceOutcome(device_id, False, "error", error_code=why.code, message=why.message)
                )
        return outcomes
