"""DeviceGateway for devices that connect out (behind NAT): the server never dials them.

A challenge waits here until the device's agent picks it up with its work long-poll and posts the
quote back. Pending challenges live in this API process; the agent's next poll reaches it because
one process serves the fleet (several workers would share them through the database or Redis).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.attestation.evidence import HashAlg, QuoteEvidence
from domain.errors import DeviceUnreachable
from domain.services.commands import device_topic
from ports.signals import Signals

REOFFER_SECONDS = 5.0


@dataclass
class PendingChallenge:
    nonce: bytes
    pcrs: tuple[int, ...]
    bank: HashAlg
    answer: asyncio.Future = field(repr=False)
    fetched_at: float | None = None


class AgentGateway:
    def __init__(self, signals: Signals, answer_timeout_seconds: float = 30.0) -> None:
        self._signals = signals
        self._timeout = answer_timeout_seconds
        self._pending: dict[str, dict[bytes, PendingChallenge]] = {}

    async def request_quote(self, device_id: str, nonce: bytes, pcrs: Sequence[int],
                            bank: HashAlg = HashAlg.SHA256) -> QuoteEvidence:
        challenge = PendingChallenge(bytes(nonce), tuple(pcrs), bank, asyncio.get_running_loop().create_future())
        self._pending.setdefault(device_id, {})[challenge.nonce] = challenge
        self._signals.publish(device_topic(device_id))
        try:
            return await asyncio.wait_for(asyncio.shield(challenge.answer), self._timeout)
        except TimeoutError:
            raise DeviceUnreachable(
                f"Device {device_id} did not answer the attestation challenge within {self._timeout:.0f} s",
                details={"device_id": device_id},
            ) from None
        finally:
            challenges = self._pending.get(device_id, {})
            challenges.pop(challenge.nonce, None)
            if not challenges:
                self._pending.pop(device_id, None)

    def take_challenges(self, device_id: str) -> list[PendingChallenge]:
        """Challenges not yet fetched, or fetched but unanswered for REOFFER_SECONDS: a long poll left
        open by an agent that restarted may have taken one to a dead socket. Re-offering is safe: a
        nonce is single-use and the agent ignores one it already answered."""
        now = time.monotonic()
        fresh = [c for c in self._pending.get(device_id, {}).values()
                 if c.fetched_at is None or now - c.fetched_at > REOFFER_SECONDS]
        for challenge in fresh:
            challenge.fetched_at = now
        if fresh:  # wake the device's next poll when the challenge becomes offerable again
            asyncio.get_running_loop().call_later(REOFFER_SECONDS + 0.1, self._signals.publish, device_topic(device_id))
        return fresh

    def deliver(self, device_id: str, nonce: bytes, evidence: QuoteEvidence) -> bool:
        """Hand a posted quote to the waiting verifier; False when nobody waits for that nonce."""
        challenge = self._pending.get(device_id, {}).get(bytes(nonce))
        if challenge is None or challenge.answer.done():
            return False
        challenge.answer.set_result(evidence)
        return True
