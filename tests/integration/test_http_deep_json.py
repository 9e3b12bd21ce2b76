"""JSON nested deeper than any body needs is refused with 400 before a decoder recurses into it, on
every route and whatever the depth; the refusal is still audited."""

from __future__ import annotations

import pytest

from entrypoints.http.json_depth import MAX_JSON_DEPTH
from tests.conftest import auth_header
from tests.integration.http_client import api_client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

JSON = {"content-type": "application/json"}


def nested(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def bodies(levels: int) -> dict[tuple[str, str], str]:
    inner = nested(levels)
    return {
        ("POST", "/api/v1/edge/devices/edge-1/command"): '{"command": "status", "parameters": ' + inner + "}",
        ("POST", "/api/v1/edge/devices"): '{"id": "edge-2", "platform": "atlas", "name": ' + inner + "}",
        ("PUT", "/api/v1/edge/alerts/rules"): '{"thresholds": ' + inner + "}",
        ("POST", "/api/v1/agent/enroll"): '{"enrollment_token": "et_whatever", "device": ' + inner + "}",
        ("POST", "/api/v1/edge/devices/bulk"): "[" * levels + "]" * levels,
    }


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 150_000])
async def test_deep_bodies_answer_400_validation_error_on_every_route(container, levels):
    async with api_client(container) as client:
        for (method, path), body in bodies(levels).items():
            response = await client.request(
                method, path, content=body, headers=auth_header(container, "admin") | JSON
            )
            assert response.status_code == 400, (path, response.text)
            assert response.json()["code"] == "VALIDATION_ERROR"
            assert response.json()["status"] == 400
            assert f"deeper than {MAX_JSON_DEPTH}" in response.json()["error"]


async def test_a_body_at_the_limit_is_decoded_as_usual(container):
    within = '{"id": "edge-3", "name": "n", "platform": "atlas", "model": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    async with api_client(container) as client:
        response = await client.post(
            "/api/v1/edge/devices", content=within, headers=auth_header(container, "admin") | JSON
        )
    assert response.status_code == 400  # reaches msgspec, which names the field
    assert "deeper" not in response.json()["error"] and "model" in str(response.json()["details"])


async def test_a_refused_deep_body_is_audited_without_its_parameters(container):
    admin = auth_header(container, "admin")
    async with api_client(container) as client:
        refused = await client.post("/api/v1/edge/devices", content=nested(5_000), headers=admin | JSON)
        assert refused.status_code == 400
        audit = (
            await client.get("/api/v1/edge/audit", params={"action": "registerDevice"}, headers=admin)
        ).json()
    [record] = [r for r in audit["entries"] if r["outcome"] == 400]
    assert record["parameters"] == {"unparsed_bytes": len(nested(5_000))}
