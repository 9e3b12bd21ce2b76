import json

import httpx
import pytest

from adapters.agent_client import AgentApiError, AgentClient, ServerUnavailable
from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.fleet_tokens import create_enrollment_token, from_list, read_token_file

SERVER = "http://fleet.test"


def client_answering(handler, credential="dev-1.secret") -> AgentClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AgentClient(SERVER, credential=credential, http=http)


async def test_calls_carry_the_device_credential_and_the_devices_own_path():
    seen = []

    def handler(request):
        seen.append((request.url.path, request.headers["authorization"], request.url.params.get("wait")))
        return httpx.Response(
            200, json={"commands": [], "attestation": [{"nonce": "ab", "pcrs": [0, 7], "bank": "sha256"}]}
        )

    work = await client_answering(handler).work(wait=5)
    assert seen == [("/api/v1/agent/devices/dev-1/work", "Bearer dev-1.secret", "5")]
    assert work.attestation[0].pcrs == (0, 7) and work.commands == []


async def test_errors_are_split_into_try_again_later_and_refusals():
    def handler(request):
        if request.url.path.endswith("/heartbeat"):
            return httpx.Response(503, json={"error": "busy", "code": "SERVICE_UNAVAILABLE", "status": 503})
        return httpx.Response(
            403, json={"error": "A device may only act as itself", "code": "FORBIDDEN", "status": 403}
        )

    client = client_answering(handler)
    with pytest.raises(ServerUnavailable):
        await client.heartbeat([{"timestamp": "2026-01-01T00:00:00Z"}])
    with pytest.raises(AgentApiError) as refused:
        await client.work(wait=0)
    assert (refused.value.status, refused.value.code) == (403, "FORBIDDEN")


async def test_a_network_failure_is_a_server_unavailable():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ServerUnavailable):
        await client_answering(handler).report(1, "running")


async def test_a_report_for_a_closed_command_answers_false_instead_of_raising():
    def handler(request):
        return httpx.Response(409, json={"error": "closed", "code": "CONFLICT", "status": 409})

    assert await client_answering(handler).report(7, "succeeded", {"message": "ok"}) is False


async def test_quote_evidence_travels_base64_with_hex_pcr_values():
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"accepted": True})

    evidence = SimulatedTpm(seed="q", rsa_seed="agent-unit-tests").quote(b"\x01\x02", [0, 7])
    assert await client_answering(handler).submit_quote("0102", evidence) == {"accepted": True}
    body = bodies[0]
    assert body["nonce"] == "0102" and set(body["pcrs"]) == {"0", "7"} and body["hash_alg"] == "sha256"
    assert len(bytes.fromhex(body["pcrs"]["7"])) == 32


async def test_a_shared_http_client_outlives_the_agent_client():
    shared = httpx.AsyncClient()
    client = AgentClient(SERVER, http=shared, credential="dev.1.x")
    await client.aclose()
    assert not shared.is_closed and client.device_id == "dev.1"  # ids may contain dots, secrets may not
    await shared.aclose()


async def test_an_admin_creates_one_enrolment_token_per_device_bound_to_its_id():
    bodies = []

    def handler(request):
        bodies.append((request.headers["authorization"], json.loads(request.content)))
        return httpx.Response(
            201, json={"token": "et_new", "expires_at": "2030-01-01T00:00:00Z", "device_id": "sim-001"}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        token = await create_enrollment_token(http, SERVER, "jwt", device_id="sim-001")
    assert token == "et_new" and bodies == [("Bearer jwt", {"expires_in": 3600, "device_id": "sim-001"})]


async def test_listed_tokens_are_handed_out_once_each(tmp_path):
    path = tmp_path / "tokens.txt"
    path.write_text("# fleet tokens\net_a\n\net_b\n")
    source = from_list(read_token_file(path))
    assert [await source(), await source(), await source()] == ["et_a", "et_b", None]
