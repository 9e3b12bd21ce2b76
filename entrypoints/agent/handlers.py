"""Command handlers: status, diagnose, reboot, halt, update, each bounded by ``parameters.timeout``."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from adapters.artifact_signing import signature_problem
from entrypoints.agent.machine import Machine, Outcome

log = logging.getLogger("edgefleet.agent")
DEFAULT_TIMEOUT_S = 30  # the server's default for parameters.timeout

Call = Callable[..., Awaitable]  # runs a blocking probe or TPM call (in a thread on real hardware)


async def direct(fn, *args):
    return fn(*args)


def jsonable(value):
    """Probe reports may hold paths or other objects; the result travels as JSON."""
    return json.loads(json.dumps(value, default=str))


class CommandHandlers:
    def __init__(
        self,
        machine: Machine,
        *,
        call: Call = direct,
        agent_info: Callable[[], dict] = dict,
        update_key: Ed25519PublicKey | None = None,
    ) -> None:
        """``update_key``: updates must carry a signature over their sha256 by this key (else rejected)."""
        self.machine = machine
        self._call = call
        self._agent_info = agent_info
        self._update_key = update_key
        self.on_changed: Callable[[], None] = lambda: None  # the device's facts may have changed
        self._handlers = {
            "status": self.status,
            "diagnose": self.diagnose,
            "reboot": self.reboot,
            "halt": self.halt,
            "update": self.update,
        }

    def check(self, command: str, parameters: dict | None) -> Outcome | None:
        """A ``rejected`` outcome for what will not run at all; decided before ``running`` is reported,
        since the server accepts a rejection only for a command that has not started."""
        if command not in self._handlers:
            return Outcome("rejected", {"message": f"unsupported command {command!r}"})
        if command == "update" and not (parameters or {}).get("version"):
            return Outcome("rejected", {"message": "update needs parameters.version"})
        if command == "update" and self._update_key is not None:
            given = parameters or {}
            problem = signature_problem(self._update_key, given.get("sha256"), given.get("signature"))
            if problem:
                return Outcome("rejected", {"message": problem})
        reason = self.machine.refuses(command)
        return Outcome("rejected", {"message": reason}) if reason else None

    async def run(self, command: str, parameters: dict | None) -> Outcome:
        """Never raises: a refused command is rejected, a crash or overrun is a failure."""
        refusal = self.check(command, parameters)
        if refusal is not None:
            return refusal
        handler = self._handlers[command]
        parameters = parameters or {}
        timeout = parameters.get("timeout") or DEFAULT_TIMEOUT_S
        try:
            return await asyncio.wait_for(handler(parameters), timeout)
        except TimeoutError:
            return Outcome("failed", {"message": f"{command} did not finish within {timeout} s"})
        except Exception as exc:  # noqa: BLE001 - any handler fault is reported, the agent lives on
            log.exception("command %s failed", command)
            return Outcome("failed", {"message": f"{command} failed: {type(exc).__name__}: {exc}"})

    async def status(self, parameters: dict) -> Outcome:
        probe = self.machine.probe
        facts, metrics = await self._call(probe.facts), await self._call(probe.metrics)
        return Outcome(
            "succeeded",
            {
                "message": f"{facts.platform} device is running",
                "facts": jsonable(asdict(facts)),
                "metrics": asdict(metrics),
                "agent": self._agent_info(),
            },
        )

    async def diagnose(self, parameters: dict) -> Outcome:
        report = await self._call(self.machine.probe.diagnostics)
        return Outcome("succeeded", {"message": "diagnostic report collected", "report": jsonable(report)})

    async def reboot(self, parameters: dict) -> Outcome:
        return await self.machine.reboot(bool(parameters.get("force")))

    async def halt(self, parameters: dict) -> Outcome:
        return await self.machine.halt(bool(parameters.get("force")))

    async def update(self, parameters: dict) -> Outcome:
        outcome = await self.machine.update(parameters)
        if outcome.status == "succeeded":
            self.on_changed()  # report the new firmware version with the next heartbeat
        return outcome
