import asyncio
import base64

import httpx
import pytest

from entrypoints.agent.enrolment import EnrolmentFailed
from entrypoints.agent.state import AgentState
from tests.unit.agent.conftest import make_agent, until


async def test_enrolment_sends_identity_and_tpm_keys_then_activates_the_ak(http, server, tmp_path):
    agent = make_agent(http, AgentState(tmp_path))
    await agent.enrol()
    sent = server.devices["dev-1"]
    assert sent["device"]["platform"] == "atlas" and sent["device"]["model"] == "Atlas 500"
    assert sent["device"]["tpm_enabled"] is True and sent["device"]["location"] == "Lab-Munich"
    assert base64.b64decode(sent["tpm"]["ak_public"]) == agent.tpm.ak_public()
    assert "dev-1" in server.activated
    state = AgentState(tmp_path)
    assert state.credential.startswith("dev-1.") and state.get("tpm_activated") is True


async def test_a_restarted_agent_reuses_its_credential_instead_of_enrolling_again(http, server, tmp_path):
    await make_agent(http, AgentState(tmp_path)).enrol()
    calls = len(server.calls)
    again = make_agent(http, AgentState(tmp_path), token=None)
    await again.enrol()
    assert server.calls[calls:] == [] and again.client.device_id == "dev-1"


async def test_an_interrupted_activation_is_finished_with_a_fresh_challenge(http, server, tmp_path):
    server.refuse["/tpm/activate"] = httpx.Response(503)
    agent = make_agent(http, AgentState(tmp_path))
    with pytest.raises(TimeoutError):  # the server stays unavailable: the agent keeps retrying
        async with asyncio.timeout(0.3):
            await agent.enrol()
    assert "dev-1" not in server.activated and AgentState(tmp_path).credential
    server.refuse.clear()
    await make_agent(http, AgentState(tmp_path), token=None).enrol()
    assert "dev-1" in server.activated and "POST /api/v1/agent/devices/dev-1/tpm" in server.calls


async def test_a_refused_token_stops_the_agent_with_a_clear_error(http):
    with pytest.raises(EnrolmentFailed, match="Unknown enrolment token"):
        await make_agent(http, token="et_wrong-token").enrol()


async def test_without_credential_or_token_the_agent_cannot_start(http):
    with pytest.raises(EnrolmentFailed, match="no enrolment token"):
        await make_agent(http, token=None).enrol()


async def test_enrolment_waits_for_a_server_that_is_still_starting(http, server):
    server.down = True
    agent = make_agent(http)
    task = asyncio.create_task(agent.enrol())
    await until(lambda: server.calls.count("POST /api/v1/agent/enroll") >= 2)  # refused, and tried again
    assert not task.done()
    server.down = False
    await task
    assert "dev-1" in server.activated


async def test_stopping_an_agent_that_waits_for_the_server_ends_it_at_once(http, server):
    server.down = True
    agent = make_agent(http)
    running = asyncio.create_task(agent.run())
    await until(lambda: "POST /api/v1/agent/enroll" in server.calls)
    agent.stop()
    await asyncio.wait_for(running, timeout=2)
    assert server.devices == {}
