"""The agent: enrol once, then heartbeat and long-poll for work side by side until stopped."""

from __future__ import annotations

import asyncio
import logging
import random
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from adapters.agent_client import AgentClient
from entrypoints.agent.backoff import Backoff
from entrypoints.agent.buffer import SampleBuffer
from entrypoints.agent.enrolment import TokenSource, ensure_enrolled
from entrypoints.agent.handlers import CommandHandlers, direct
from entrypoints.agent.heartbeat import HeartbeatLoop
from entrypoints.agent.identity import Identity, heartbeat_facts
from entrypoints.agent.machine import Machine
from entrypoints.agent.state import AgentState
from entrypoints.agent.stats import AgentStats
from entrypoints.agent.work import WorkLoop
from ports.clock import Clock
from ports.tpm import Tpm

log = logging.getLogger("edgefleet.agent")
AGENT_VERSION = "0.1.0"


async def in_thread(fn, *args):
    """Probes run tools and a real TPM blocks on its device: keep them off the event loop."""
    return await asyncio.to_thread(fn, *args)


def fixed_token(token: str | None) -> TokenSource:
    async def source() -> str | None:
        return token

    return source


class Agent:
    def __init__(
        self,
        client: AgentClient,
        machine: Machine,
        state: AgentState,
        identity: Identity,
        *,
        tpm: Tpm | None = None,
        token: TokenSource | None = None,
        buffer_size: int = 1000,
        heartbeat_interval: float | None = None,
        poll_wait: int = 30,
        offload: bool = True,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        clock: Clock | None = None,
        update_key: Ed25519PublicKey | None = None,
    ) -> None:
        """``offload`` runs probe and TPM calls in threads (real hardware); the simulator's are instant."""
        self.client, self.machine, self.state, self.identity, self.tpm = client, machine, state, identity, tpm
        self._token = token or fixed_token(None)
        self.buffer = SampleBuffer(buffer_size)
        self.stats = AgentStats()
        self._interval = heartbeat_interval
        self._poll_wait = poll_wait
        self._call = in_thread if offload else direct
        self._rng = rng or random.Random()
        self._base, self._cap = backoff_base, backoff_cap
        self._clock = clock
        self._started = time.monotonic()
        self._stopped = asyncio.Event()
        self.handlers = CommandHandlers(machine, call=self._call, agent_info=self.info, update_key=update_key)

    def _backoff(self) -> Backoff:
        return Backoff(self._base, self._cap, rng=self._rng)

    def info(self) -> dict:
        return {
            "version": AGENT_VERSION,
            "uptime_seconds": int(time.monotonic() - self._started),
            "buffered_samples": len(self.buffer),
            "stats": self.stats.as_dict(),
        }

    def stop(self) -> None:
        self._stopped.set()

    async def _device_report(self) -> dict:
        facts = await self._call(self.machine.probe.facts)
        return self.identity.report(facts, self.tpm is not None)

    async def _heartbeat_facts(self) -> dict:
        return heartbeat_facts(await self._call(self.machine.probe.facts))

    async def enrol(self) -> None:
        await ensure_enrolled(
            self.client,
            self.state,
            self._device_report,
            self._token,
            tpm=self.tpm,
            backoff=self._backoff(),
            call=self._call,
        )

    async def run(self) -> None:
        """Until stop() or a fatal error (enrolment refused, credential revoked), which propagates.
        stop() also ends an enrolment that is still waiting for the server."""
        await first_of(self._serve(), self._stopped.wait())

    async def _serve(self) -> None:
        await self.enrol()
        interval = self._interval or self.state.get("heartbeat_interval") or 30
        heartbeat = HeartbeatLoop(
            self.client,
            self.machine.probe,
            self.buffer,
            interval,
            stats=self.stats,
            backoff=self._backoff(),
            call=self._call,
            facts=self._heartbeat_facts,
            clock=self._clock,
        )
        self.handlers.on_changed = heartbeat.facts_changed
        work = WorkLoop(
            self.client,
            self.handlers,
            self.state,
            tpm=self.tpm,
            stats=self.stats,
            backoff=self._backoff(),
            call=self._call,
            wait=self._poll_wait,
            on_stop=self.stop,
        )
        await work.resume_pending()
        log.info("%s running: heartbeat every %s s", self.client.device_id, interval)
        await first_of(heartbeat.run(), work.run())


async def first_of(*jobs) -> None:
    """Run the jobs until one ends; cancel the rest; re-raise what ended it (not an ExceptionGroup,
    so callers can catch CredentialRejected and friends directly)."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
