"""The device-facing API (/api/v1/agent): enrolment, heartbeats, work long-poll, results, quotes.

Devices sit behind NAT and always connect out; every call after enrolment carries the device
credential, and a device may only act as itself.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import FromPath, JSONBody, QueryParameter

from adapters.agent_gateway import AgentGateway
from domain.commands import CommandStatus
from domain.errors import Conflict, DomainError
from domain.services.agents import AgentService
from domain.services.commands import CommandService
from domain.services.enrolment import AkEnrolment
from entrypoints.http.params import CommandId
from entrypoints.http.schemas.agent import (
    ActivateRequest,
    CommandReport,
    Enrolled,
    EnrolRequest,
    Evidence,
    EvidenceAck,
    Heartbeat,
    HeartbeatAck,
    TpmChallenge,
    TpmKeys,
    Work,
    WorkChallenge,
    WorkCommand,
    unb64,
)
from entrypoints.http.schemas.attestation import BANK_NAMES
from entrypoints.settings import Settings

Agents = NamedDependency[AgentService]
Enrolment = NamedDependency[AkEnrolment]
Commands = NamedDependency[CommandService]
Gateway = NamedDependency[AgentGateway]
LONG_POLL_MAX = 30


class DeviceCredentialMiddleware(AbstractAuthenticationMiddleware):
    def __init__(self, app, agents, **kwargs) -> None:
        super().__init__(app, **kwargs)
        self._agents = agents

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        scheme, _, credential = (connection.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthorizedException("Device credential missing: 'Authorization: Bearer <credential>'")
        try:
            device_id = await self._agents().authenticate(credential.strip())
        except DomainError as exc:
            raise NotAuthorizedException(exc.message) from exc
        return AuthenticationResult(user=device_id, auth=None)


async def acts_as_itself(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.path_params.get("device_id") != connection.user:
        raise PermissionDeniedException("A device may only act as itself")


async def _watch_disconnect(request: Request, hung_up: asyncio.Event) -> None:
    """Set ``hung_up`` when the client goes away (a stopped agent leaves its long poll open)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            hung_up.set()
            return


def _challenge_body(challenge) -> TpmChallenge:
    return TpmChallenge(
        base64.b64encode(challenge.credential_blob).decode(),
        base64.b64encode(challenge.encrypted_secret).decode(),
        challenge.expires_at,
    )


async def _begin_tpm(enrolment: AkEnrolment, device_id: str, keys: TpmKeys) -> TpmChallenge:
    cert = unb64(keys.ek_certificate, "ek_certificate") if keys.ek_certificate else None
    challenge = await enrolment.begin_enrolment(
        device_id, unb64(keys.ek_public, "ek_public"), unb64(keys.ak_public, "ak_public"), cert
    )
    return _challenge_body(challenge)


class EnrolController(Controller):
    path = "/enroll"
    tags = ["agent"]

    @post("/", operation_id="agentEnrol", status_code=201, security=[])
    async def enrol(
        self,
        data: JSONBody[EnrolRequest],
        agents: Agents,
        enrolment: Enrolment,
        settings: NamedDependency[Settings],
    ) -> Enrolled:
        """Redeem a one-time enrolment token. TPM keys are checked before anything is stored; the
        response carries the device credential (shown once) and, with a TPM, the credential challenge
        the device answers through ``/tpm/activate``."""
        if data.tpm is not None:
            enrolment.check_keys(
                unb64(data.tpm.ek_public, "ek_public"),
                unb64(data.tpm.ak_public, "ak_public"),
                unb64(data.tpm.ek_certificate, "ek_certificate") if data.tpm.ek_certificate else None,
            )
        device, credential = await agents.enrol(data.enrollment_token, data.device.to_device())
        challenge = (
            await _begin_tpm(enrolment, device.id, data.tpm) if data.tpm and device.tpm_enabled else None
        )
        return Enrolled(device.id, credential, settings.heartbeat_interval_seconds, challenge)


class AgentController(Controller):
    path = "/devices/{device_id:str}"
    tags = ["agent"]
    guards = [acts_as_itself]

    @post("/tpm", operation_id="agentBeginTpmEnrolment", status_code=200)
    async def begin_tpm(
        self, device_id: FromPath[str], data: JSONBody[TpmKeys], enrolment: Enrolment
    ) -> TpmChallenge:
        """(Re-)enrol the TPM's attestation key: returns a new credential challenge."""
        return await _begin_tpm(enrolment, device_id, data)

    @post("/tpm/activate", operation_id="agentActivateTpm", status_code=200)
    async def activate(
        self, device_id: FromPath[str], data: JSONBody[ActivateRequest], enrolment: Enrolment
    ) -> dict[str, bool]:
        await enrolment.complete_enrolment(device_id, unb64(data.secret, "secret"))
        return {"activated": True}

    @post("/heartbeat", operation_id="agentHeartbeat", status_code=200)
    async def heartbeat(
        self, device_id: FromPath[str], data: JSONBody[Heartbeat], agents: Agents
    ) -> HeartbeatAck:
        samples = sorted((s.to_sample(device_id) for s in data.samples), key=lambda s: s.timestamp)
        status = await agents.heartbeat(device_id, samples, data.facts.to_facts() if data.facts else None)
        return HeartbeatAck(status.value, len(samples))

    @get("/work", operation_id="agentWork")
    async def work(
        self,
        request: Request,
        device_id: FromPath[str],
        commands: Commands,
        gateway: Gateway,
        wait: Annotated[int, QueryParameter(ge=0, le=LONG_POLL_MAX)] = LONG_POLL_MAX,
    ) -> Work:
        """Long-poll: commands and attestation challenges, at once when any are waiting."""
        hung_up = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(request, hung_up))
        try:
            challenges = await gateway.take_challenges(device_id)
            claimed = await commands.next_for_device(
                device_id, 0 if challenges else wait, still_listening=lambda: not hung_up.is_set()
            )
            challenges += await gateway.take_challenges(device_id) if not hung_up.is_set() else []
        finally:
            watcher.cancel()
        return Work(
            commands=[WorkCommand(c.saved_id, c.command.value, c.parameters, c.deadline) for c in claimed],
            attestation=[WorkChallenge(c.nonce.hex(), list(c.pcrs), BANK_NAMES[c.bank]) for c in challenges],
        )

    @post("/commands/{command_id:int}", operation_id="agentReportCommand", status_code=200)
    async def report(
        self,
        device_id: FromPath[str],
        command_id: CommandId,
        data: JSONBody[CommandReport],
        commands: Commands,
    ) -> dict[str, str]:
        command = await commands.report(device_id, command_id, CommandStatus(data.status), data.result)
        return {"status": command.status.value}

    @post("/attestation", operation_id="agentSubmitQuote", status_code=200)
    async def evidence(
        self, request: Request, device_id: FromPath[str], data: JSONBody[Evidence], gateway: Gateway
    ) -> EvidenceAck:
        """Answer to a challenge fetched from /work; the waiting verifier judges it."""
        nonce, evidence = data.parsed()
        if not await gateway.deliver(device_id, nonce, evidence):
            raise Conflict(
                "No outstanding attestation challenge with this nonce (expired or already answered)"
            )
        return EvidenceAck(accepted=True)
