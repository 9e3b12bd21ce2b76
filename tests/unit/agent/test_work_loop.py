import asyncio
import base64

import pytest

from domain.attestation.tpm_wire import parse_attest
from entrypoints.agent.heartbeat import CredentialRejected
from entrypoints.agent.machine import HostMachine, Outcome
from entrypoints.agent.simulated import golden_pcrs
from entrypoints.agent.state import AgentState
from entrypoints.agent.work import PENDING, WorkLoop
from tests.unit.agent.conftest import make_agent, make_machine, until


def command(command_id: int, name: str, **parameters) -> dict:
    return {
        "id": command_id,
        "command": name,
        "parameters": {"timeout": 5, **parameters},
        "deadline": "2030-01-01T00:00:00Z",
    }


async def run_until(agent, condition) -> None:
    """Run the agent until ``condition()`` holds (or fail at the deadline), then stop it."""
    task = asyncio.create_task(agent.run())
    try:
        await until(lambda: condition() or task.done())
    finally:
        agent.stop()
        await task


def work_loop(agent) -> WorkLoop:
    return WorkLoop(
        agent.client, agent.handlers, agent.state, tpm=agent.tpm, stats=agent.stats, backoff=agent._backoff()
    )


async def poll_and_finish(loop: WorkLoop) -> None:
    """One poll, and every job it started run to its end."""
    await loop.poll_once()
    await asyncio.gather(*loop._tasks)


async def test_a_command_is_reported_running_then_succeeded(http, server):
    server.commands.append(command(1, "status"))
    await run_until(make_agent(http), lambda: len(server.reports) == 2)
    assert [(cid, status) for cid, status, _ in server.reports] == [(1, "running"), (1, "succeeded")]
    assert server.reports[1][2]["facts"]["platform"] == "atlas"


async def test_a_command_closed_on_the_server_is_dropped_without_running(http, server):
    server.commands.append(command(2, "reboot"))
    server.closed_commands.add(2)
    agent = make_agent(http)
    await agent.enrol()
    resets = agent.tpm.reset_count
    await poll_and_finish(work_loop(agent))
    assert "POST /api/v1/agent/devices/dev-1/commands/2" in server.calls  # asked, and told it is closed
    assert agent.tpm.reset_count == resets and server.reports == []


async def test_an_attestation_challenge_is_answered_with_a_quote_over_the_requested_pcrs(http, server):
    nonce = "a1" * 20
    server.challenges.append({"nonce": nonce, "pcrs": [0, 1, 7], "bank": "sha256"})
    agent = make_agent(http)
    await run_until(agent, lambda: agent.stats.quotes_sent == 1)
    [quote] = server.quotes
    assert quote["nonce"] == nonce and set(quote["pcrs"]) == {"0", "1", "7"}
    attest = parse_attest(base64.b64decode(quote["quote"]))
    assert attest.extra_data == bytes.fromhex(nonce) and agent.stats.quotes_sent == 1


async def test_after_a_simulated_update_the_quote_shows_the_new_firmwares_boot(http, server):
    agent = make_agent(http)
    server.commands.append(command(3, "update", version="2.2.0"))
    await run_until(agent, lambda: server.reports[-1:] and server.reports[-1][:2] == (3, "succeeded"))
    server.challenges.append({"nonce": "00ff", "pcrs": [0], "bank": "sha256"})
    restarted = make_agent(http, state=agent.state, machine=agent.machine, token=None)
    await run_until(restarted, lambda: restarted.stats.quotes_sent == 1)
    expected = golden_pcrs(agent.machine.probe.model.name, "2.2.0")[0].hex()
    assert server.reports[-1][1] == "succeeded" and server.quotes[0]["pcrs"]["0"] == expected


async def test_a_simulated_halt_reports_success_and_then_the_agent_goes_quiet(http, server):
    server.commands.append(command(4, "halt"))
    agent = make_agent(http)
    await asyncio.wait_for(agent.run(), timeout=5)  # returns by itself
    assert server.reports[-1][:2] == (4, "succeeded")


async def test_a_reboot_that_ended_the_process_is_reported_at_the_next_start(http, server, tmp_path):
    agent = make_agent(http, state=AgentState(tmp_path))
    await agent.enrol()
    AgentState(tmp_path).set(PENDING, {"id": 9, "command": "reboot"})
    machine = HostMachine(make_machine().probe, reboot_command="true")
    restarted = make_agent(http, state=AgentState(tmp_path), machine=machine, token=None, tpm=agent.tpm)
    await run_until(restarted, lambda: server.reports and AgentState(tmp_path).get(PENDING) is None)
    assert server.reports[0][:2] == (9, "succeeded") and AgentState(tmp_path).get(PENDING) is None


async def test_a_real_reboot_leaves_a_marker_until_its_result_is_reported(http, server, tmp_path):
    started, release = tmp_path / "rebooting", tmp_path / "released"
    # The reboot command holds until the test lets it go: the marker is looked at while it runs.
    reboot = f"sh -c 'touch {started}; while [ ! -e {release} ]; do sleep 0.01; done'"
    agent = make_agent(
        http, state=AgentState(tmp_path), machine=HostMachine(make_machine().probe, reboot_command=reboot)
    )
    server.commands.append(command(5, "reboot"))
    task = asyncio.create_task(agent.run())
    await until(started.exists)
    assert AgentState(tmp_path).get(PENDING) == {"id": 5, "command": "reboot"}
    release.touch()
    await until(lambda: AgentState(tmp_path).get(PENDING) is None)
    agent.stop()
    await task
    assert server.reports[-1][:2] == (5, "succeeded")


async def test_a_final_result_survives_a_short_outage(http, server):
    agent = make_agent(http)
    await agent.enrol()
    loop = work_loop(agent)
    server.down = True
    reporting = asyncio.create_task(loop.report(6, Outcome("succeeded", {"message": "ok"})))
    result_call = "POST /api/v1/agent/devices/dev-1/commands/6"
    await until(lambda: result_call in server.calls)  # one attempt met the outage
    assert not reporting.done()
    server.down = False
    await reporting
    assert server.reports == [(6, "succeeded", {"message": "ok"})] and server.calls.count(result_call) >= 2


async def test_a_revoked_credential_ends_the_agent(http, server):
    agent = make_agent(http)
    await agent.enrol()
    server.credentials.clear()
    with pytest.raises(CredentialRejected):
        await asyncio.wait_for(agent.run(), timeout=5)


async def test_a_command_the_device_will_not_run_is_rejected_without_being_started(http, server):
    server.commands.append(command(10, "halt"))
    server.commands.append(command(11, "format-disk"))
    await run_until(
        make_agent(http, machine=HostMachine(make_machine().probe)), lambda: len(server.reports) == 2
    )
    assert sorted((cid, status) for cid, status, _ in server.reports) == [(10, "rejected"), (11, "rejected")]
    assert "--halt-command" in next(r for cid, _, r in server.reports if cid == 10)["message"]


async def test_work_handed_out_twice_is_done_once(http, server):
    agent = make_agent(http)
    await agent.enrol()
    loop = work_loop(agent)
    for _ in range(2):
        server.commands.append(command(12, "status"))
        server.challenges.append({"nonce": "beef", "pcrs": [0], "bank": "sha256"})
        await poll_and_finish(loop)
    assert len(server.quotes) == 1 and [r[1] for r in server.reports] == ["running", "succeeded"]
