"""An in-memory stand-in for the server side of the agent API, served through httpx.MockTransport.

It makes real TPM credential challenges (tpm2-pytss MakeCredential) so activation is tested end to end,
and can pretend to be down or to refuse calls.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets

import httpx

from adapters.tpm.credential import PytssCredentialChallenger
from domain.attestation.tpm_wire import tpm_name

SERVER = "http://fleet.test"
DEVICE_PATH = re.compile(r"^/api/v1/agent/devices/([^/]+)(/.*)$")


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": message, "code": code, "status": status})


class FakeAgentServer:
    def __init__(self, tokens=("et_token-0001",), heartbeat_interval: int = 30) -> None:
        self.tokens = set(tokens)
        self.interval = heartbeat_interval
        self.credentials: dict[str, str] = {}  # credential -> device id
        self.devices: dict[str, dict] = {}
        self.secrets: dict[str, bytes] = {}  # expected activation secret per device
        self.activated: set[str] = set()
        self.heartbeats: list[dict] = []
        self.commands: list[dict] = []  # handed out on the next poll
        self.challenges: list[dict] = []
        self.reports: list[tuple[int, str, dict | None]] = []
        self.quotes: list[dict] = []
        self.closed_commands: set[int] = set()  # reports for these get 409
        self.down = False
        self.refuse: dict[str, httpx.Response] = {}  # path suffix -> canned refusal
        self.refuse_facts = False  # refuse heartbeats that carry facts
        self.calls: list[str] = []

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content) if request.content else None
        if path == "/api/v1/agent/enroll":
            return self.enrol(body)
        match = DEVICE_PATH.match(path)
        if not match:
            return error(404, "NOT_FOUND", "Resource not found")
        device_id, rest = match.groups()
        who = self.credentials.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if who is None:
            return error(401, "UNAUTHORIZED", "Unknown or revoked device credential")
        if who != device_id:
            return error(403, "FORBIDDEN", "A device may only act as itself")
        for suffix, response in self.refuse.items():
            if rest.endswith(suffix):
                return response
        return await self.device_call(device_id, rest, request, body)

    def enrol(self, body: dict) -> httpx.Response:
        if body["enrollment_token"] not in self.tokens:
            return error(401, "UNAUTHORIZED", "Unknown enrolment token")
        self.tokens.discard(body["enrollment_token"])
        device = body["device"]
        credential = f"{device['id']}.{secrets.token_urlsafe(16)}"
        self.credentials[credential] = device["id"]
        self.devices[device["id"]] = body
        challenge = self.challenge(device["id"], body["tpm"]) if body.get("tpm") else None
        return httpx.Response(
            201,
            json={
                "device_id": device["id"],
                "credential": credential,
                "heartbeat_interval": self.interval,
                "tpm_challenge": challenge,
            },
        )

    def challenge(self, device_id: str, keys: dict) -> dict:
        secret = secrets.token_bytes(32)
        self.secrets[device_id] = secret
        ak_name = tpm_name(base64.b64decode(keys["ak_public"]))
        blob, encrypted = PytssCredentialChallenger().make_credential(
            base64.b64decode(keys["ek_public"]), ak_name, secret
        )
        return {
            "credential_blob": base64.b64encode(blob).decode(),
            "encrypted_secret": base64.b64encode(encrypted).decode(),
            "expires_at": "2030-01-01T00:00:00Z",
        }

    async def device_call(self, device_id: str, rest: str, request: httpx.Request, body) -> httpx.Response:
        if rest == "/tpm":
            return httpx.Response(200, json=self.challenge(device_id, body))
        if rest == "/tpm/activate":
            if base64.b64decode(body["secret"]) != self.secrets.get(device_id):
                return error(400, "ENROLMENT_REJECTED", "wrong secret")
            self.activated.add(device_id)
            return httpx.Response(200, json={"activated": True})
        if rest == "/heartbeat":
            if self.refuse_facts and "facts" in body:
                return error(400, "VALIDATION_ERROR", "facts out of bounds")
            self.heartbeats.append({"device_id": device_id, **body})
            return httpx.Response(200, json={"status": "online", "accepted": len(body["samples"])})
        if rest == "/work":
            if not self.commands and not self.challenges:
                await asyncio.sleep(min(float(request.url.params.get("wait", 30)), 0.02))
            commands, self.commands = self.commands, []
            challenges, self.challenges = self.challenges, []
            return httpx.Response(200, json={"commands": commands, "attestation": challenges})
        if rest.startswith("/commands/"):
            command_id = int(rest.rsplit("/", 1)[1])
            if command_id in self.closed_commands:
                return error(409, "CONFLICT", "Command is no longer open")
            self.reports.append((command_id, body["status"], body["result"]))
            return httpx.Response(200, json={"status": body["status"]})
        if rest == "/attestation":
            self.quotes.append({"device_id": device_id, **body})
            return httpx.Response(200, json={"accepted": True})
        return error(404, "NOT_FOUND", "Resource not found")
