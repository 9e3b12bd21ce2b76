"""The console's server side over the real app and database: sign-in (tokens the API accepts, refusals,
throttling, one audit record per attempt), the users table, device search, the fleet summary, the
stream's subprotocol sign-in, and the security headers of /console/."""

from __future__ import annotations

import re

import pytest

from domain.access import Principal, Role
from domain.devices import Device, Platform
from entrypoints.http.app import create_app
from entrypoints.http.controllers.stream import visible_types
from tests.conftest import auth_header, token_for
from tests.integration.http_client import api_client
from tests.integration.ws_client import WebSocketSession

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(container):
    accounts = container.services.user_accounts()
    await accounts.create("olga", Role.OPERATOR, PASSWORD)
    await accounts.create("dora", Role.ADMIN, PASSWORD)
    await accounts.disable("dora")
    async with api_client(container) as c:
        yield c


async def login(client, username: str, password: str):
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_a_signed_in_person_gets_a_token_the_api_accepts(client):
    answer = await login(client, "olga", PASSWORD)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert (body["subject"], body["role"], body["token_type"], body["expires_in"]) == (
        "olga",
        "operator",
        "bearer",
        1800,
    )
    assert "commands:run-safe" in body["permissions"] and "audit:read" not in body["permissions"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/v1/edge/devices", headers=headers)).status_code == 200
    assert (
        await client.get("/api/v1/edge/audit", headers=headers)
    ).status_code == 403  # still the role's rights


@pytest.mark.parametrize(
    ("username", "password", "status", "code"),
    [
        ("olga", "wrong password", 401, "UNAUTHORIZED"),
        ("nobody", PASSWORD, 401, "UNAUTHORIZED"),
        ("dora", PASSWORD, 403, "FORBIDDEN"),
    ],
)
async def test_refusals_carry_the_error_body(client, username, password, status, code):
    answer = await login(client, username, password)
    assert answer.status_code == status
    assert (
        answer.json()["code"] == code
        and answer.json()["status"] == status
        and "access_token" not in answer.text
    )


async def test_bad_bodies_are_refused_before_any_password_check(client):
    for body in (
        {"username": "olga"},
        {"username": "", "password": "x"},
        {"username": "olga", "password": "x", "extra": 1},
    ):
        answer = await client.post("/api/v1/auth/login", json=body)
        assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_ERROR"


async def test_repeated_failures_are_throttled_and_every_attempt_is_audited_once(client, container):
    for _ in range(5):
        assert (await login(client, "olga", "guess")).status_code == 401
    throttled = await login(client, "olga", PASSWORD)
    assert throttled.status_code == 429 and throttled.json()["code"] == "RATE_LIMITED"
    assert int(throttled.headers["retry-after"]) > 0
    audit = await client.get(
        "/api/v1/edge/audit", params={"action": "login"}, headers=auth_header(container, "admin")
    )
    entries = audit.json()["entries"]
    assert [(e["actor"], e["outcome"]) for e in entries] == [("olga", 429)] + [("olga", 401)] * 5
    assert all(e["parameters"] is None for e in entries)  # no password, not even redacted


async def test_users_are_stored_with_an_argon2id_hash_only(container, client):
    user = await container.gateways.user_repository().get("olga")
    assert user.role is Role.OPERATOR and not user.disabled
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


async def test_devices_can_be_searched_by_part_of_the_id_or_name(container, client):
    for device_id, name in (
        ("edge-001", "Munich Press"),
        ("edge-002", "Shenzhen Line"),
        ("cam-100", "press 2"),
    ):
        await container.services.inventory().register(
            Device(id=device_id, name=name, platform=Platform.ATLAS)
        )
    headers = auth_header(container, "viewer")
    for q, expected in (
        ("PRESS", ["cam-100", "edge-001"]),
        ("edge", ["edge-001", "edge-002"]),
        ("%", []),
        ("_", []),
    ):
        answer = (await client.get("/api/v1/edge/devices", params={"q": q}, headers=headers)).json()
        assert [d["id"] for d in answer["devices"]] == expected and answer["total"] == len(expected), q


async def test_the_fleet_summary_counts_by_status_platform_and_location(container, client):
    inventory = container.services.inventory()
    await inventory.register(Device(id="a-1", name="a", platform=Platform.ATLAS, location="Lab"))
    await inventory.register(Device(id="a-2", name="b", platform=Platform.ATLAS, location="Lab"))
    await inventory.register(Device(id="h-1", name="c", platform=Platform.HISILICON))
    answer = await client.get("/api/v1/edge/fleet/summary", headers=auth_header(container, "viewer"))
    assert answer.json() == {
        "total": 3,
        "by_status": {"unknown": 3},
        "by_platform": {"atlas": 2, "hisilicon": 1},
        "by_location": {"Lab": 2, "none": 1},
    }


async def test_the_stream_accepts_the_token_as_a_subprotocol(container):
    token = token_for(container, "viewer")
    app = create_app(container)
    async with WebSocketSession(
        app, "/api/v1/edge/stream", headers={"Sec-WebSocket-Protocol": f"edgefleet.bearer, {token}"}
    ) as socket:
        hello = await socket.receive_json()
    assert hello == {"type": "hello", "role": "viewer", "types": visible_types(Principal("t", Role.VIEWER))}


async def test_the_console_is_served_with_a_strict_policy_and_no_inline_script(client):
    page = await client.get("/console/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # every script is a file
    assert not re.search(r"\son[a-z]+=", page.text)  # no inline handlers
    assert "eyJ" not in page.text and "secret" not in page.text.lower()
    module = await client.get("/console/js/app.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    assert (await client.get("/console/../pyproject.toml")).status_code == 404
