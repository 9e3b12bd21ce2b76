"""The device inventory API over HTTP: contract shapes, paging, validation, errors."""

from __future__ import annotations

import pytest

from tests.conftest import auth_header
from tests.integration.http_client import api_client

SUMMARY_KEYS = {
    "id",
    "name",
    "platform",
    "status",
    "cpu_usage",
    "memory_usage",
    "temperature",
    "uptime",
    "last_seen",
    "firmware_version",
    "tee_enabled",
    "tpm_attestation",
    "location",
    "model",
    "cores",
    "memory_gb",
}
ERROR_KEYS = {"error", "code", "status"}


def device_body(i: int, **kw) -> dict:
    body = {
        "id": f"edge-{i:03d}",
        "name": f"Atlas-{i}",
        "platform": "atlas",
        "location": "DC-East",
        "model": "Atlas 500",
        "cores": 64,
        "memory_gb": 256,
        "firmware_version": "2.1.0",
        "tee_enabled": True,
        "tpm_enabled": True,
    }
    return body | kw


@pytest.fixture
async def client(container):
    async with api_client(container) as c:
        c.headers.update(auth_header(container, "admin"))
        yield c


async def test_list_devices_has_the_seed_shape_and_counts_all_matches(client):
    for i in range(25):
        assert (await client.post("/api/v1/edge/devices", json=device_body(i))).status_code == 201
    body = (await client.get("/api/v1/edge/devices", params={"limit": 10, "offset": 20})).json()
    assert set(body) == {"devices", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"], len(body["devices"])) == (25, 10, 20, 5)
    assert set(body["devices"][0]) == SUMMARY_KEYS


async def test_device_detail_has_the_seed_nested_shape(client):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    body = (await client.get("/api/v1/edge/devices/edge-001")).json()
    assert set(body["metrics"]) == {
        "cpu_usage",
        "memory_usage",
        "temperature",
        "uptime_percent_24h",
        "uptime_percent_7d",
    }
    assert body["security"] == {
        "tee_enabled": True,
        "tee_type": "Ascend TEE",
        "tpm_version": "2.0",
        "tpm_attestation": False,
        "seal_status": "none",
    }
    assert body["hardware"] == {"cores": 64, "memory_gb": 256, "model": "Atlas 500", "capabilities": {}}


async def test_patch_changes_given_fields_and_null_clears_optional_ones(client):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    body = (
        await client.patch("/api/v1/edge/devices/edge-001", json={"name": "renamed", "location": None})
    ).json()
    assert (body["name"], body["location"], body["hardware"]["model"]) == ("renamed", None, "Atlas 500")


async def test_delete_hides_the_device_but_admins_still_read_its_history(client):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    assert (await client.delete("/api/v1/edge/devices/edge-001")).status_code == 204
    assert (await client.get("/api/v1/edge/devices")).json()["total"] == 0
    listed = (await client.get("/api/v1/edge/devices", params={"include_decommissioned": "true"})).json()
    assert listed["total"] == 1
    history = await client.get("/api/v1/edge/devices/edge-001/history")
    assert history.status_code == 200 and history.json()["device_id"] == "edge-001"
    assert (await client.delete("/api/v1/edge/devices/edge-001")).status_code == 404


async def test_a_viewer_cannot_see_decommissioned_devices(client, container):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    await client.delete("/api/v1/edge/devices/edge-001")
    viewer = auth_header(container, "viewer")
    assert (await client.get("/api/v1/edge/devices/edge-001/history", headers=viewer)).status_code == 404
    response = await client.get(
        "/api/v1/edge/devices", params={"include_decommissioned": "true"}, headers=viewer
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "method,path,kwargs,status,code",
    [
        ("get", "/api/v1/edge/devices", {"params": {"limit": 101}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices", {"params": {"limit": 0}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices", {"params": {"offset": -1}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices", {"params": {"limit": "ten"}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices", {"params": {"platform": "raspberry"}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices", {"params": {"status": "sleeping"}}, 400, "VALIDATION_ERROR"),
        ("get", "/api/v1/edge/devices/nope", {}, 404, "DEVICE_NOT_FOUND"),
        ("get", "/api/v1/edge/devices/nope/history", {}, 404, "DEVICE_NOT_FOUND"),
        ("get", "/api/v1/edge/no-such-route", {}, 404, "NOT_FOUND"),
        ("put", "/api/v1/edge/devices", {}, 405, "METHOD_NOT_ALLOWED"),
        (
            "post",
            "/api/v1/edge/devices",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "VALIDATION_ERROR",
        ),
        ("post", "/api/v1/edge/devices", {"json": device_body(1, extra_field=1)}, 400, "VALIDATION_ERROR"),
        ("post", "/api/v1/edge/devices", {"json": device_body(1, id="has space")}, 400, "VALIDATION_ERROR"),
        ("post", "/api/v1/edge/devices", {"json": device_body(1, cores=-4)}, 400, "VALIDATION_ERROR"),
        ("post", "/api/v1/edge/devices", {"json": [1, 2]}, 400, "VALIDATION_ERROR"),
        (
            "post",
            "/api/v1/edge/devices",
            {"content": b"x" * (2 * 1024 * 1024), "headers": {"content-type": "application/json"}},
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        ("patch", "/api/v1/edge/devices/edge-001", {"json": {"status": "online"}}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_bad_input_gets_the_seed_error_body(client, method, path, kwargs, status, code):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    response = await getattr(client, method)(path, **kwargs)
    body = response.json()
    assert response.status_code == status
    assert ERROR_KEYS <= set(body) and body["code"] == code and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize(
    "query",
    [
        {"start_time": "2024-02-01T00:00:00Z", "end_time": "2024-01-01T00:00:00Z"},
        {"start_time": "yesterday"},
        {"limit": 1001},
    ],
)
async def test_bad_history_queries_are_rejected(client, query):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    response = await client.get("/api/v1/edge/devices/edge-001/history", params=query)
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"


async def test_registering_an_existing_id_is_a_conflict_and_keeps_the_original(client):
    await client.post("/api/v1/edge/devices", json=device_body(1))
    again = await client.post("/api/v1/edge/devices", json=device_body(1, name="impostor"))
    assert again.status_code == 409 and again.json()["code"] == "DEVICE_EXISTS"
    assert (await client.get("/api/v1/edge/devices/edge-001")).json()["name"] == "Atlas-1"


async def test_openapi_schema_is_served(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/edge/devices" in schema["paths"]


@pytest.mark.parametrize("path", ["/api/v1/edge/devices/nope", "/api/v1/edge/devices/nope/history"])
async def test_the_not_found_body_is_the_contracts_with_the_id_in_details(client, path):
    body = (await client.get(path)).json()
    assert body["error"] == "Device not found" and body["details"] == {"device_id": "nope"}
    assert (body["code"], body["status"]) == ("DEVICE_NOT_FOUND", 404)
