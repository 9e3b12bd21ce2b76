"""The sealing endpoints over HTTP (seed request/response shapes, roles, error bodies), with the real
auth middleware and error mapping around the controller, and the use case on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware

from adapters.auth.jwt_tokens import TokenKeys, TokenService
from adapters.tpm.unseal_simulated import import_and_unseal
from domain.access import Role
from entrypoints.http.auth import BearerTokenMiddleware
from entrypoints.http.controllers.sealing import SealController
from entrypoints.http.errors import exception_to_http_response
from tests.unit.sealing.conftest import tpm_device

SECRET = "sealing-test-" + "x" * 40
CONTRACT_KEYS = {"success", "device_id", "key_id", "sealed_data", "timestamp"}


@pytest.fixture
async def api(world):
    tokens = TokenService(TokenKeys("HS256", SECRET, SECRET))
    edge = Router(
        path="/api/v1/edge",
        route_handlers=[SealController],
        middleware=[DefineMiddleware(BearerTokenMiddleware, tokens=tokens)],
    )
    app = Litestar(
        route_handlers=[edge],
        exception_handlers={Exception: exception_to_http_response},
        dependencies={"sealing": Provide(lambda: world.service, sync_to_thread=False)},
    )

    def as_role(role: str) -> dict[str, str]:
        token = tokens.issue("tester", Role(role), timedelta(hours=1), datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.as_role = as_role
        yield client


def body(world, **changes) -> dict:
    values = ["0x" + v.hex() for v in world.tpms["edge-a"].pcr_read([0, 1, 7]).values()]
    return {
        "device_id": "edge-a",
        "key_id": "master_key_001",
        "policy": "pcr_0,pcr_1,pcr_7",
        "pcr_values": values,
        **changes,
    }


async def test_an_admin_seals_with_the_seeds_request_and_gets_the_seeds_response(api, world):
    response = await api.post("/api/v1/edge/security/seal", json=body(world), headers=api.as_role("admin"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert CONTRACT_KEYS <= set(result) and result["success"] is True and result["key_id"] == "master_key_001"
    assert result["sealed_data"].startswith("0x") and result["policy"] == "pcr_0,pcr_1,pcr_7"
    [key] = world.issued
    assert key.hex() not in response.text
    assert import_and_unseal(world.tpms["edge-a"], bytes.fromhex(result["sealed_data"][2:])) == key


@pytest.mark.parametrize("role", ["operator", "viewer", "auditor"])
async def test_only_admins_may_seal(api, world, role):
    response = await api.post("/api/v1/edge/security/seal", json=body(world), headers=api.as_role(role))
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"


async def test_a_device_without_tee_gets_503_tee_not_available_in_the_seeds_error_body(api, world):
    world.attestation.add_device(tpm_device("edge-c", tee_enabled=False))
    response = await api.post(
        "/api/v1/edge/security/seal", json=body(world, device_id="edge-c"), headers=api.as_role("admin")
    )
    assert response.status_code == 503
    assert response.json() == {
        "error": response.json()["error"],
        "code": "TEE_NOT_AVAILABLE",
        "status": 503,
        "details": {"device_id": "edge-c"},
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"policy": "pcr_0,pcr_0,pcr_7"},
        {"policy": "pcr_0,pcr_24,pcr_7"},
        {"pcr_values": ["0x00"]},
        {"unknown": 1},
        {"key_id": ""},
    ],
)
async def test_malformed_requests_are_400_validation_errors(api, world, changes):
    response = await api.post(
        "/api/v1/edge/security/seal", json=body(world, **changes), headers=api.as_role("admin")
    )
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


async def test_auditors_list_a_devices_seals_but_viewers_may_not(api, world):
    await api.post("/api/v1/edge/security/seal", json=body(world), headers=api.as_role("admin"))
    again = await api.post("/api/v1/edge/security/seal", json=body(world), headers=api.as_role("admin"))
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    listed = await api.get("/api/v1/edge/devices/edge-a/seals", headers=api.as_role("auditor"))
    assert listed.status_code == 200
    [seal] = listed.json()["seals"]
    assert (seal["key_id"], seal["status"], seal["created_by"]) == ("master_key_001", "active", "tester")
    denied = await api.get("/api/v1/edge/devices/edge-a/seals", headers=api.as_role("viewer"))
    assert denied.status_code == 403
    missing = await api.get("/api/v1/edge/devices/edge-zz/seals", headers=api.as_role("auditor"))
    assert missing.status_code == 404 and missing.json()["code"] == "DEVICE_NOT_FOUND"
