"""What the agent may do to the device it runs on: reboot, halt, install an update.

On real hardware these run commands the operator configured (``--reboot-command`` ...); without one
the command is rejected, so an agent never reboots a machine nobody told it how to reboot. The
simulator supplies its own machine (entrypoints/agent/simulated.py).
"""

from __future__ import annotations

import asyncio
import os
import shlex
from dataclasses import dataclass, field
from typing import Protocol

from entrypoints.agent.artifact import fetch_artifact
from ports.platform import PlatformProbe

OUTPUT_TAIL = 2000  # characters of hook output kept in the command result


@dataclass
class Outcome:
    status: str  # succeeded | failed | rejected
    result: dict = field(default_factory=dict)
    stop: bool = False  # the device goes quiet afterwards (a simulated halt)


class Machine(Protocol):
    @property
    def probe(self) -> PlatformProbe: ...

    @property
    def restarts_process(self) -> bool:
        """A reboot or halt ends this process before it can report."""
        ...

    def refuses(self, command: str) -> str | None:
        """Why this machine will not run ``command`` at all (reported as ``rejected``), else None."""
        ...

    async def reboot(self, force: bool) -> Outcome: ...

    async def halt(self, force: bool) -> Outcome: ...

    async def update(self, parameters: dict) -> Outcome: ...


async def run_hook(command: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` (split like a shell would, but without one); killed if the caller times out."""
    process = await asyncio.create_subprocess_exec(
        *shlex.split(command),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
        env=os.environ | env,
    )
    try:
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, output.decode(errors="replace")[-OUTPUT_TAIL:]


class HostMachine:
    restarts_process = True

    def __init__(
        self,
        probe: PlatformProbe,
        *,
        reboot_command: str | None = None,
        halt_command: str | None = None,
        update_command: str | None = None,
    ) -> None:
        self.probe = probe
        self._commands = {"reboot": reboot_command, "halt": halt_command, "update": update_command}

    def refuses(self, command: str) -> str | None:
        if command in self._commands and not self._commands[command]:
            return f"{command} is not configured on this device (--{command}-command)"
        return None

    async def _run(self, name: str, env: dict[str, str]) -> Outcome:
        command = self._commands[name]
        if not command:
            return Outcome("rejected", {"message": self.refuses(name)})
        try:
            code, output = await run_hook(command, env)
        except OSError as exc:
            return Outcome("failed", {"message": f"{name} command could not start: {exc}"})
        if code != 0:
            return Outcome("failed", {"message": f"{name} command exited {code}", "output": output})
        return Outcome("succeeded", {"message": f"{name} command completed", "output": output})

    async def reboot(self, force: bool) -> Outcome:
        return await self._run("reboot", {"EDGEFLEET_FORCE": "1" if force else "0"})

    async def halt(self, force: bool) -> Outcome:
        return await self._run("halt", {"EDGEFLEET_FORCE": "1" if force else "0"})

    async def update(self, parameters: dict) -> Outcome:
        """The hook gets the version (and url/sha256 when given) in its environment. With a url and a
        sha256 the agent downloads the artifact first, checks its size and digest, and hands the hook
        the verified file as EDGEFLEET_UPDATE_FILE (a mismatch fails the update before the hook runs)."""
        if self.refuses("update"):
            return Outcome("rejected", {"message": self.refuses("update")})
        env = {"EDGEFLEET_FORCE": "1" if parameters.get("force") else "0"}
        for key in ("version", "url", "sha256"):
            if parameters.get(key):
                env[f"EDGEFLEET_UPDATE_{key.upper()}"] = str(parameters[key])
        downloaded = None
        if parameters.get("url") and parameters.get("sha256"):
            downloaded, problem = await fetch_artifact(
                str(parameters["url"]), str(parameters["sha256"]), parameters.get("size")
            )
            if problem:
                return Outcome("failed", {"message": problem})
            env["EDGEFLEET_UPDATE_FILE"] = str(downloaded)
        try:
            outcome = await self._run("update", env)
        finally:
            if downloaded is not None:
                downloaded.unlink(missing_ok=True)
                downloaded.parent.rmdir()
        if outcome.status == "succeeded":
            outcome.result["version"] = parameters.get("version")
        return outcome
