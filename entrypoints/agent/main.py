"""``edgefleet agent`` on a real device: wired by entrypoints/agent/bootstrap.py, runs until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from entrypoints.agent.bootstrap import AgentOptions, wire_agent
from entrypoints.agent.enrolment import EnrolmentFailed
from entrypoints.agent.heartbeat import CredentialRejected
from entrypoints.agent.identity import PlatformUnknown

log = logging.getLogger("edgefleet.agent")


async def run_agent(options: AgentOptions) -> int:
    try:
        wired = await wire_agent(options)
    except PlatformUnknown as exc:
        log.error("%s", exc)
        return 2
    agent = wired.agent
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, agent.stop)
    log.info(
        "agent %s (state in %s, platform probe %s, TPM %s)",
        agent.identity.device_id,
        wired.state.directory,
        wired.probe.name,
        type(wired.tpm).__name__ if wired.tpm else "none",
    )
    try:
        await agent.run()
    except (EnrolmentFailed, CredentialRejected) as exc:
        log.error("%s", exc)
        return 1
    finally:
        await wired.close()
    return 0
