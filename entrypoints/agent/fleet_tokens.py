"""Enrolment tokens for a simulated fleet. Tokens are single-use, so N devices need N of them:
from a file (one per line), given on the command line, or made on the fly with an admin token."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import httpx

from adapters.agent_client import RETRYABLE, ServerUnavailable, api_error
from entrypoints.agent.enrolment import TokenSource

ADMIN_TOKEN_TTL_S = 3600


async def create_enrollment_token(
    http: httpx.AsyncClient,
    server: str,
    admin_token: str,
    *,
    expires_in: int = ADMIN_TOKEN_TTL_S,
    device_id: str | None = None,
) -> str:
    """POST /api/v1/edge/enrollment-tokens as an admin: one single-use token, optionally bound to an id."""
    body: dict = {"expires_in": expires_in} | ({"device_id": device_id} if device_id else {})
    try:
        response = await http.post(
            server.rstrip("/") + "/api/v1/edge/enrollment-tokens",
            json=body,
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    except httpx.TransportError as exc:
        raise ServerUnavailable(f"creating an enrolment token: {exc}") from exc
    if response.status_code in RETRYABLE:
        raise ServerUnavailable(f"creating an enrolment token: HTTP {response.status_code}")
    if response.status_code != 201:
        raise api_error(response)
    return response.json()["token"]


def read_token_file(path: str | Path) -> list[str]:
    lines = (line.strip() for line in Path(path).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def from_list(tokens: Iterable[str]) -> TokenSource:
    """Hands out each token once, to whichever device enrols first; None when they run out."""
    remaining = list(tokens)[::-1]

    async def source() -> str | None:
        return remaining.pop() if remaining else None

    return source


def from_admin(
    http: httpx.AsyncClient, server: str, admin_token: str, device_ids: Iterable[str]
) -> dict[str, TokenSource]:
    """Per device, a token bound to its id: a rerun of the same fleet re-provisions the devices
    instead of colliding with them (the server lets a bound token re-enrol its device)."""

    def for_device(device_id: str) -> TokenSource:
        async def source() -> str:
            return await create_enrollment_token(
                http, server, admin_token, expires_in=ADMIN_TOKEN_TTL_S, device_id=device_id
            )

        return source

    return {device_id: for_device(device_id) for device_id in device_ids}
