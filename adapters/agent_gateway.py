"""DeviceGateway for devices that connect out (behind NAT): the server never dials them.

A challenge is a row in ``attestation_challenges`` until the device's agent picks it up with its work
long poll and posts the quote back; the verifier that asked waits for the answer to appear in the row.
Any API worker may hold any of the three requests: wake-ups travel over Signals (every worker), and
the waiter re-reads the row every second anyway, so a lost wake-up only delays the answer.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.challenge_tables import attestation_challenges as challenges
from domain.attestation.evidence import HashAlg, QuoteEvidence
from domain.errors import DeviceUnreachable
from domain.services.commands import device_topic
from ports.clock import Clock
from ports.signals import Signals

REOFFER_SECONDS = 5.0
RECHECK_SECONDS = 1.0  # how often a waiting verifier re-reads its challenge without a wake-up


@dataclass(frozen=True)
class PendingChallenge:
    nonce: bytes
    pcrs: tuple[int, ...]
    bank: HashAlg


def answer_topic(device_id: str, nonce: bytes) -> str:
    return f"challenge:{device_id}:{nonce.hex()}"


def encode_evidence(evidence: QuoteEvidence) -> dict:
    return {
        "quote": base64.b64encode(evidence.quote).decode(),
        "signature": base64.b64encode(evidence.signature).decode(),
        "pcrs": {str(index): value.hex() for index, value in evidence.pcr_values.items()},
        "bank": int(evidence.hash_alg),
        **(
            {"event_log": base64.b64encode(evidence.event_log).decode()}
            if evidence.event_log is not None
            else {}
        ),
    }


def decode_evidence(stored: dict) -> QuoteEvidence:
    return QuoteEvidence(
        base64.b64decode(stored["quote"]),
        base64.b64decode(stored["signature"]),
        {int(index): bytes.fromhex(value) for index, value in stored["pcrs"].items()},
        HashAlg(stored["bank"]),
        base64.b64decode(stored["event_log"]) if "event_log" in stored else None,
    )


class AgentGateway:
    def __init__(
        self, engine: AsyncEngine, signals: Signals, clock: Clock, answer_timeout_seconds: float = 30.0
    ) -> None:
        self._engine, self._signals, self._clock = engine, signals, clock
        self._timeout = answer_timeout_seconds

    async def request_quote(
        self, device_id: str, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256
    ) -> QuoteEvidence:
        nonce, c = bytes(nonce), challenges.c
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(challenges).values(
                    device_id=device_id,
                    nonce=nonce,
                    pcrs=list(pcrs),
                    bank=int(bank),
                    expires_at=self._clock.now() + timedelta(seconds=self._timeout),
                )
            )
        self._signals.publish(device_topic(device_id))
        this = and_(c.device_id == device_id, c.nonce == nonce)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        try:
            while True:
                async with self._engine.connect() as connection:
                    stored = await connection.scalar(select(c.evidence).where(this))
                if stored is not None:
                    return decode_evidence(stored)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise DeviceUnreachable(
                        f"Device {device_id} did not answer the attestation challenge within {self._timeout:.0f} s",
                        details={"device_id": device_id},
                    )
                await self._signals.wait(answer_topic(device_id, nonce), min(remaining, RECHECK_SECONDS))
        finally:
            async with self._engine.begin() as connection:
                await connection.execute(delete(challenges).where(this))

    async def take_challenges(self, device_id: str) -> list[PendingChallenge]:
        """Challenges not yet fetched, or fetched but unanswered for REOFFER_SECONDS: a long poll left
        open by an agent that restarted may have taken one to a dead socket. Re-offering is safe: a
        nonce is single-use and the agent ignores one it already answered."""
        now, c = self._clock.now(), challenges.c
        offerable = and_(
            c.device_id == device_id,
            c.evidence.is_(None),
            c.expires_at > now,
            or_(c.fetched_at.is_(None), c.fetched_at < now - timedelta(seconds=REOFFER_SECONDS)),
        )
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    update(challenges)
                    .where(offerable)
                    .values(fetched_at=now)
                    .returning(c.nonce, c.pcrs, c.bank)
                )
            ).all()
        if rows:  # wake the device's next poll when the challenge becomes offerable again
            asyncio.get_running_loop().call_later(
                REOFFER_SECONDS + 0.1, self._signals.publish, device_topic(device_id)
            )
        return [PendingChallenge(bytes(r.nonce), tuple(r.pcrs), HashAlg(r.bank)) for r in rows]

    async def deliver(self, device_id: str, nonce: bytes, evidence: QuoteEvidence) -> bool:
        """Store a posted quote for the waiting verifier; False when nobody waits for that nonce."""
        nonce, c = bytes(nonce), challenges.c
        async with self._engine.begin() as connection:
            stored = await connection.execute(
                update(challenges)
                .where(
                    c.device_id == device_id,
                    c.nonce == nonce,
                    c.evidence.is_(None),
                    c.expires_at > self._clock.now(),
                )
                .values(evidence=encode_evidence(evidence))
            )
        if stored.rowcount != 1:
            return False
        self._signals.publish(answer_topic(device_id, nonce))
        return True

    async def purge_expired(self) -> int:
        """Challenges whose waiter died with its worker (kill -9): nobody will delete them otherwise."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(challenges).where(challenges.c.expires_at < self._clock.now() - timedelta(minutes=5))
            )
        return result.rowcount
