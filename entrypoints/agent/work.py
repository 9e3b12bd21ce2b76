"""The work long-poll: run delivered commands, answer attestation challenges with the TPM."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from adapters.agent_client import AgentApiError, AgentClient, Challenge, ServerUnavailable
from domain.attestation.evidence import BANK_BY_NAME
from entrypoints.agent.backoff import Backoff
from entrypoints.agent.handlers import Call, CommandHandlers, direct
from entrypoints.agent.heartbeat import CredentialRejected
from entrypoints.agent.machine import Outcome
from entrypoints.agent.state import AgentState
from entrypoints.agent.stats import AgentStats
from ports.tpm import Tpm

log = logging.getLogger("edgefleet.agent")
BANKS = BANK_BY_NAME
REPORT_ATTEMPTS = 8  # with the 60 s backoff cap, a final result is retried for several minutes
RESTARTING = ("reboot", "halt")
PENDING = "pending_command"
REMEMBERED = 256  # recent command ids and nonces, so work handed out twice is done once


class WorkLoop:
    def __init__(
        self,
        client: AgentClient,
        handlers: CommandHandlers,
        state: AgentState,
        *,
        tpm: Tpm | None,
        stats: AgentStats,
        backoff: Backoff,
        call: Call = direct,
        wait: int = 30,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.client, self.handlers, self.state, self.tpm = client, handlers, state, tpm
        self.stats, self.backoff, self._call, self.wait, self._on_stop = stats, backoff, call, wait, on_stop
        self._tasks: set[asyncio.Task] = set()
        self._seen: deque = deque(maxlen=REMEMBERED)

    async def run(self) -> None:
        try:
            while True:
                await self.poll_once()
        finally:
            for task in self._tasks:
                task.cancel()

    async def poll_once(self) -> None:
        try:
            work = await self.client.work(self.wait)
        except ServerUnavailable as exc:
            delay = self.backoff.next_delay()
            log.warning("work poll failed (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            return
        except AgentApiError as exc:
            if exc.status in (401, 403):
                raise CredentialRejected(exc.message) from exc
            log.error("work poll refused: %s", exc)
            await asyncio.sleep(self.backoff.next_delay())
            return
        self.backoff.reset()
        # A server may hand work out again when it cannot tell whether a poll's answer arrived.
        for challenge in work.attestation:
            if self._first_time(("nonce", challenge.nonce)):
                self._spawn(self.answer(challenge))
        for command in work.commands:
            if self._first_time(("command", command["id"])):
                self._spawn(self.execute(command))

    def _first_time(self, key: tuple) -> bool:
        if key in self._seen:
            return False
        self._seen.append(key)
        return True

    def _spawn(self, job) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def answer(self, challenge: Challenge) -> None:
        if self.tpm is None:
            log.warning("attestation challenge ignored: this agent runs without a TPM")
            return
        try:
            evidence = await self._call(
                self.tpm.quote,
                bytes.fromhex(challenge.nonce),
                list(challenge.pcrs),
                BANKS[challenge.bank.lower()],
            )
            answer = await self.client.submit_quote(challenge.nonce, evidence)
        except Exception as exc:  # noqa: BLE001 - TPM or network: log it, the verifier records a timeout
            log.error("attestation challenge %s… not answered: %s", challenge.nonce[:16], exc)
            return
        if answer is None:
            log.warning("attestation challenge %s… expired before the quote arrived", challenge.nonce[:16])
        else:
            self.stats.quotes_sent += 1

    async def execute(self, command: dict) -> None:
        command_id, name = command["id"], command["command"]
        refusal = self.handlers.check(name, command.get("parameters"))
        if refusal is not None:
            await self.report(command_id, refusal)
            log.info("command %s (%s) rejected: %s", command_id, name, refusal.result["message"])
            return
        try:
            if not await self.client.report(command_id, "running"):
                log.info("command %s (%s) is no longer open; dropped", command_id, name)
                return
        except ServerUnavailable:
            pass  # delivered -> succeeded is allowed too; the final report matters
        except AgentApiError as exc:
            log.error("command %s (%s): running report refused: %s", command_id, name, exc)
            return
        restarts = name in RESTARTING and self.handlers.machine.restarts_process
        if restarts:  # the process may die mid-command; the next start reports it (resume_pending)
            self.state.set(PENDING, {"id": command_id, "command": name})
        outcome = await self.handlers.run(name, command.get("parameters"))
        await self.report(command_id, outcome)
        if restarts:
            self.state.set(PENDING, None)
        log.info("command %s (%s) %s: %s", command_id, name, outcome.status, outcome.result.get("message"))
        if outcome.stop:
            self._on_stop()

    async def report(self, command_id: int, outcome: Outcome) -> None:
        self.stats.commands[outcome.status] += 1
        backoff = Backoff(self.backoff.base, self.backoff.cap)
        for _ in range(REPORT_ATTEMPTS):
            try:
                if not await self.client.report(command_id, outcome.status, outcome.result):
                    log.info("command %s closed on the server before its result arrived", command_id)
                return
            except ServerUnavailable:
                await asyncio.sleep(backoff.next_delay())
            except AgentApiError as exc:
                log.error("command %s result refused: %s", command_id, exc)
                return
        log.error("command %s result could not be delivered", command_id)

    async def resume_pending(self) -> None:
        """A reboot or halt that ended the previous process: it evidently worked."""
        pending = self.state.get(PENDING)
        if pending:
            outcome = Outcome("succeeded", {"message": f"device restarted after {pending['command']}"})
            await self.report(int(pending["id"]), outcome)
            self.state.set(PENDING, None)
