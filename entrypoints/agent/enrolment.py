"""First contact: redeem the one-time enrolment token, keep the credential, activate the TPM's AK.

Enrolment happens once per state dir; later starts reuse the stored credential. If the process dies
between enrolment and activation, the next start asks the server for a fresh TPM challenge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from adapters.agent_client import AgentApiError, AgentClient, ServerUnavailable, TpmChallenge, b64
from entrypoints.agent.backoff import Backoff
from entrypoints.agent.handlers import Call, direct
from entrypoints.agent.state import AgentState
from ports.tpm import Tpm

log = logging.getLogger("edgefleet.agent")
ACTIVATION_ATTEMPTS = 3
TokenSource = Callable[[], Awaitable[str | None]]


class EnrolmentFailed(Exception):
    """The server refused the enrolment (bad, used or expired token; id taken by another device)."""


async def retrying(backoff: Backoff, what: str, call: Callable[[], Awaitable]):
    """Retry while the server is unreachable (it may be starting up); API refusals propagate."""
    while True:
        try:
            result = await call()
        except ServerUnavailable as exc:
            delay = backoff.next_delay()
            log.warning("%s: server unreachable (%s); retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            continue
        backoff.reset()
        return result


async def tpm_keys(tpm: Tpm, call: Call = direct) -> dict:
    cert = await call(tpm.ek_certificate)
    return {
        "ek_public": b64(await call(tpm.ek_public)),
        "ak_public": b64(await call(tpm.ak_public)),
        "ek_certificate": b64(cert) if cert else None,
    }


async def ensure_enrolled(
    client: AgentClient,
    state: AgentState,
    device: Callable[[], Awaitable[dict]],
    token: TokenSource,
    *,
    tpm: Tpm | None,
    backoff: Backoff,
    call: Call = direct,
) -> None:
    challenge: TpmChallenge | None = None
    if state.credential:
        client.credential = state.credential
    else:
        try:
            secret = await retrying(backoff, "enrolment token", token)
            if not secret:
                raise EnrolmentFailed("not enrolled yet and no enrolment token given (--enroll-token)")
            report = await device()
            keys = await tpm_keys(tpm, call) if tpm is not None else None
            enrolled = await retrying(backoff, "enrolment", lambda: client.enroll(secret, report, keys))
        except AgentApiError as exc:
            raise EnrolmentFailed(f"enrolment refused: {exc.message} ({exc.code})") from exc
        state.save_enrolment(enrolled.device_id, enrolled.credential, enrolled.heartbeat_interval)
        log.info("enrolled as %s", enrolled.device_id)
        challenge = enrolled.tpm_challenge
    if tpm is not None and not state.get("tpm_activated"):
        await activate(client, state, tpm, challenge, backoff=backoff, call=call)


async def activate(
    client: AgentClient,
    state: AgentState,
    tpm: Tpm,
    challenge: TpmChallenge | None,
    *,
    backoff: Backoff,
    call: Call = direct,
) -> bool:
    """Prove the AK lives in the same TPM as the EK: recover the server's secret and send it back."""
    for _ in range(ACTIVATION_ATTEMPTS):
        try:
            if challenge is None:
                keys = await tpm_keys(tpm, call)
                challenge = await retrying(backoff, "TPM challenge", partial(client.begin_tpm, keys))
            secret = await call(
                tpm.activate_credential, challenge.credential_blob, challenge.encrypted_secret
            )
            await retrying(backoff, "TPM activation", partial(client.activate, secret))
        except (AgentApiError, ValueError) as exc:  # expired challenge, or not made for this TPM: ask again
            log.warning("TPM activation refused: %s", exc)
            challenge = None
            continue
        state.set("tpm_activated", True)
        log.info("TPM attestation key activated")
        return True
    log.error(
        "TPM activation failed %d times; attestation will fail until the agent restarts", ACTIVATION_ATTEMPTS
    )
    return False
