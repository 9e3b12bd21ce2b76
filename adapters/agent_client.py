"""HTTP client for the device-facing API (/api/v1/agent), as the device agent and the simulator use it.

Async so one process can drive a thousand simulated agents over one shared httpx.AsyncClient.
Failures come in two kinds: ``ServerUnavailable`` (network, 5xx, 429: try again later) and
``AgentApiError`` (the server understood and said no: retrying the same call will not help).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx

from domain.attestation.evidence import QuoteEvidence

AGENT_API = "/api/v1/agent"
DEFAULT_TIMEOUT_S = 15.0
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


class ServerUnavailable(Exception):
    """Unreachable, or asked us to come back later."""


class AgentApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class TpmChallenge:
    credential_blob: bytes
    encrypted_secret: bytes
    expires_at: str


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    credential: str
    heartbeat_interval: int
    tpm_challenge: TpmChallenge | None


@dataclass(frozen=True)
class Challenge:
    nonce: str  # hex, echoed back verbatim
    pcrs: tuple[int, ...]
    bank: str


@dataclass(frozen=True)
class Work:
    commands: list[dict]
    attestation: list[Challenge]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _challenge(body: dict | None) -> TpmChallenge | None:
    return _parse_challenge(body) if body else None


def _parse_challenge(body: dict) -> TpmChallenge:
    unb64 = base64.b64decode
    return TpmChallenge(unb64(body["credential_blob"]), unb64(body["encrypted_secret"]), body["expires_at"])


class AgentClient:
    def __init__(
        self,
        server: str,
        *,
        credential: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """``http`` may be shared between many clients (the simulator); otherwise this one owns its own."""
        self._base = server.rstrip("/") + AGENT_API
        self._owned = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout
        self.credential = credential

    @property
    def device_id(self) -> str:
        if not self.credential:
            raise RuntimeError("not enrolled: no device credential")
        return self.credential.rpartition(".")[0]  # "<device_id>.<secret>", the secret has no dot

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json=None,
        params=None,
        auth: bool = True,
        timeout: float | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credential}"} if auth else {}
        try:
            response = await self._http.request(
                method,
                self._base + path,
                json=json,
                params=params,
                headers=headers,
                timeout=timeout or self._timeout,
            )
        except httpx.TransportError as exc:  # connect, read, write, pool timeouts and refusals
            raise ServerUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in RETRYABLE:
            raise ServerUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise api_error(response)
        return response

    def _device(self, path: str) -> str:
        return f"/devices/{self.device_id}{path}"

    async def enroll(self, token: str, device: dict, tpm: dict | None) -> Enrolment:
        body = {"enrollment_token": token, "device": device, "tpm": tpm}
        data = (await self._call("POST", "/enroll", json=body, auth=False)).json()
        self.credential = data["credential"]
        return Enrolment(
            data["device_id"],
            data["credential"],
            int(data["heartbeat_interval"]),
            _challenge(data.get("tpm_challenge")),
        )

    async def begin_tpm(self, tpm: dict) -> TpmChallenge:
        """A fresh credential challenge for the TPM keys (when activation after enrolment was missed)."""
        return _parse_challenge((await self._call("POST", self._device("/tpm"), json=tpm)).json())

    async def activate(self, secret: bytes) -> None:
        await self._call("POST", self._device("/tpm/activate"), json={"secret": b64(secret)})

    async def heartbeat(self, samples: list[dict], dropped: int = 0, facts: dict | None = None) -> dict:
        body = {"samples": samples, "dropped": dropped} | ({"facts": facts} if facts is not None else {})
        return (await self._call("POST", self._device("/heartbeat"), json=body)).json()

    async def work(self, wait: int = 30) -> Work:
        # The read timeout must outlast the long poll, or every idle poll would look like an outage.
        data = (
            await self._call(
                "GET", self._device("/work"), params={"wait": wait}, timeout=wait + self._timeout
            )
        ).json()
        challenges = [
            Challenge(c["nonce"], tuple(c["pcrs"]), c.get("bank", "sha256"))
            for c in data.get("attestation", [])
        ]
        return Work(list(data.get("commands", [])), challenges)

    async def report(self, command_id: int, status: str, result: dict | None = None) -> bool:
        """False when the server no longer accepts reports for it (timed out or canceled: 409)."""
        return (
            await self._unless_conflict(
                "POST", self._device(f"/commands/{command_id}"), {"status": status, "result": result}
            )
            is not None
        )

    async def submit_quote(self, nonce: str, evidence: QuoteEvidence) -> dict | None:
        """The server's answer, or None when the challenge is no longer outstanding (409)."""
        body = {
            "nonce": nonce,
            "quote": b64(evidence.quote),
            "signature": b64(evidence.signature),
            "pcrs": {str(i): v.hex() for i, v in sorted(evidence.pcr_values.items())},
            "hash_alg": evidence.hash_alg.name.lower(),
        }
        if evidence.event_log is not None:
            body["event_log"] = b64(evidence.event_log)
        return await self._unless_conflict("POST", self._device("/attestation"), body)

    async def _unless_conflict(self, method: str, path: str, body: dict) -> dict | None:
        try:
            return (await self._call(method, path, json=body)).json()
        except AgentApiError as exc:
            if exc.status != 409:
                raise
        return None


def api_error(response: httpx.Response) -> AgentApiError:
    try:
        body = response.json()
        return AgentApiError(response.status_code, str(body.get("code")), str(body.get("error")))
    except (ValueError, AttributeError):
        return AgentApiError(response.status_code, "HTTP_ERROR", response.text[:200])
