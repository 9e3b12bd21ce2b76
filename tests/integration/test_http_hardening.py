"""Hardening at the edge: rate limits with Retry-After, security headers, CORS off by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import Role
from entrypoints.container import build_container, shutdown_container
from tests.conftest import auth_header, make_settings
from tests.integration.http_client import api_client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def strict(tmp_path, database_url):
    container = build_container(
        make_settings(tmp_path, database_url, rate_limit_enrol_per_minute=3, rate_limit_agent_per_minute=2)
    )
    async with api_client(container) as client:
        yield client, container
    await shutdown_container(container)


async def test_enrolment_attempts_over_the_limit_get_429_with_retry_after(strict):
    client, _ = strict
    body = {"enrollment_token": "et_guessing-tokens", "device": {"id": "x", "name": "x", "platform": "atlas"}}
    statuses = [(await client.post("/api/v1/agent/enroll", json=body)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = await client.post("/api/v1/agent/enroll", json=body)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json() == {"error": limited.json()["error"], "code": "RATE_LIMITED", "status": 429}


async def test_each_device_has_its_own_agent_budget(strict):
    client, _ = strict
    first = {"Authorization": "Bearer dev-a.secret"}
    second = {"Authorization": "Bearer dev-b.secret"}
    for _ in range(2):
        assert (
            await client.post("/api/v1/agent/devices/dev-a/heartbeat", json={}, headers=first)
        ).status_code == 401
    assert (
        await client.post("/api/v1/agent/devices/dev-a/heartbeat", json={}, headers=first)
    ).status_code == 429
    assert (
        await client.post("/api/v1/agent/devices/dev-b/heartbeat", json={}, headers=second)
    ).status_code == 401


async def test_answers_carry_security_headers_and_no_cors(container):
    async with api_client(container) as client:
        response = await client.get(
            "/api/v1/edge/devices",
            headers=auth_header(container, "viewer") | {"Origin": "https://evil.example"},
        )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers


async def test_a_token_expired_past_the_leeway_is_refused(container):
    issued = datetime.now(UTC) - timedelta(hours=1)
    stale = container.core.tokens().issue("late", Role.ADMIN, timedelta(minutes=59, seconds=50), issued)
    async with api_client(container) as client:
        response = await client.get("/api/v1/edge/devices", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED", response.text
