"""The audit trail of every mutating API call, recorded after the answer is known.

Done at the edge because the audit trail is about who asked for what and what they got, whichever
use case ran: actor and role from the authenticated token (or the device credential), action from the
route's operation id, target from the path, parameters from the body (secrets redacted), outcome from
the response status, and the client address.
"""

from __future__ import annotations

import json
import logging

from litestar.types import HTTPScope, Scope

from domain.access import Principal
from domain.audit import AuditRecord, redact
from entrypoints.http.json_depth import too_deep
from ports.audit import AuditLog
from ports.clock import Clock

logger = logging.getLogger("edgefleet.audit")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_BODY = 64 * 1024
# High-volume device traffic is not an operator action; enrolment is (it creates a device). Sign-in
# audits itself: only the use case knows whose account was tried and why it failed.
NOT_AUDITED = ("agentHeartbeat", "agentWork", "agentSubmitQuote", "agentReportCommand", "login")


def _actor(scope: Scope) -> tuple[str, str]:
    user = scope.get("user")
    if isinstance(user, Principal):
        return user.subject, user.role.value
    if isinstance(user, str):
        return user, "device"
    return "anonymous", "none"


class AuditTrail:
    """Turns one answered mutating call into an audit record (the edge layer hands it the body)."""

    def __init__(self, audit_log: AuditLog, clock: Clock) -> None:
        self._log, self._clock = audit_log, clock

    @staticmethod
    def wants_body(scope: Scope) -> bool:
        """Whether the call may be recorded: high-volume device traffic never is (asked once routed)."""
        handler = scope.get("route_handler")
        return getattr(handler, "operation_id", None) not in NOT_AUDITED

    async def record(self, scope: HTTPScope, body: bytes, status: int, rid: str) -> None:
        handler = scope.get("route_handler")
        action = getattr(handler, "operation_id", None) or f"{scope['method']} {scope['path']}"
        if action in NOT_AUDITED or status == 404 and handler is None:
            return
        actor, role = _actor(scope)
        target = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        try:
            if too_deep(body):
                raise ValueError("nested too deep to record")
            parameters = redact(json.loads(body)) if body else None
        except ValueError:
            parameters = {"unparsed_bytes": len(body)}
        if isinstance(parameters, dict | list) is False and parameters is not None:
            parameters = {"value": parameters}
        client = scope.get("client")
        record = AuditRecord(
            at=self._clock.now(),
            actor=actor,
            role=role,
            action=str(action)[:64],
            method=scope["method"],
            path=scope["path"][:512],
            outcome=status,
            device_id=target.get("device_id") or _body_device(parameters),
            target=target,
            parameters=parameters,
            client_address=client[0] if client else None,
            request_id=rid,
        )
        try:
            await self._log.append(record)
        except Exception:  # the caller already has the answer; losing the record is logged loudly
            logger.exception("could not write audit record for %s %s", scope["method"], scope["path"])


def _body_device(parameters) -> str | None:
    if isinstance(parameters, dict):
        for key in ("device_id", "id"):
            if isinstance(parameters.get(key), str):
                return parameters[key][:64]
        device = parameters.get("device")
        if isinstance(device, dict) and isinstance(device.get("id"), str):
            return device["id"][:64]
    return None
