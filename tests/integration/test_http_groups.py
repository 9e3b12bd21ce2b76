"""Device tags and groups over HTTP: static (a tag) and dynamic (a saved filter) groups, used by the
listing and by bulk calls."""

from __future__ import annotations

import pytest

from tests.conftest import auth_header
from tests.integration.http_client import api_client

DEVICES = "/api/v1/edge/devices"
GROUPS = "/api/v1/edge/groups"


@pytest.fixture
async def client(container):
    async with api_client(container) as client:
        admin = auth_header(container, "admin")
        for i, (platform, model, firmware) in enumerate(
            [("atlas", "Atlas 500", "1.0"), ("atlas", "Atlas 500", "1.1"), ("hisilicon", "Hi3559A", "1.0")]
        ):
            body = {
                "id": f"g-{i}",
                "name": f"g {i}",
                "platform": platform,
                "model": model,
                "firmware_version": firmware,
            }
            assert (await client.post(DEVICES, json=body, headers=admin)).status_code == 201
        yield client


def ids(answer) -> list[str]:
    return [d["id"] for d in answer.json()["devices"]]


async def test_tags_are_set_with_patch_and_filter_the_listing(client, container):
    admin = auth_header(container, "admin")
    patched = await client.patch(
        f"{DEVICES}/g-0", json={"tags": ["lab", "canary"], "location": "Shenzhen"}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == ["canary", "lab"] and patched.json()["location"] == "Shenzhen"
    await client.patch(f"{DEVICES}/g-2", json={"tags": ["lab"]}, headers=admin)
    assert ids(await client.get(DEVICES, params={"tag": "lab"}, headers=admin)) == ["g-0", "g-2"]
    listed = await client.get(DEVICES, params={"tag": "lab", "platform": "atlas"}, headers=admin)
    assert ids(listed) == ["g-0"] and listed.json()["total"] == 1
    assert (await client.get(f"{DEVICES}/g-0/tags", headers=admin)).json()["tags"] == ["canary", "lab"]
    await client.patch(f"{DEVICES}/g-0", json={"tags": []}, headers=admin)
    assert ids(await client.get(DEVICES, params={"tag": "lab"}, headers=admin)) == ["g-2"]


async def test_static_and_dynamic_groups_list_their_members_now(client, container):
    admin, viewer = auth_header(container, "admin"), auth_header(container, "viewer")
    await client.put(f"{DEVICES}/g-1/tags", json={"tags": ["wave-1"]}, headers=admin)
    static = await client.post(
        GROUPS, json={"name": "wave-1", "kind": "static", "tag": "wave-1"}, headers=admin
    )
    assert static.status_code == 201, static.text
    dynamic = {
        "name": "old-atlas",
        "kind": "dynamic",
        "filter": {"platform": "atlas", "firmware_version": "1.0"},
    }
    assert (await client.post(GROUPS, json=dynamic, headers=admin)).status_code == 201
    assert ids(await client.get(DEVICES, params={"group": "wave-1"}, headers=viewer)) == ["g-1"]
    assert ids(await client.get(DEVICES, params={"group": "old-atlas"}, headers=viewer)) == ["g-0"]
    assert ids(await client.get(f"{GROUPS}/old-atlas/devices", headers=viewer)) == ["g-0"]
    await client.patch(f"{DEVICES}/g-1", json={"firmware_version": "1.0"}, headers=admin)
    assert ids(await client.get(DEVICES, params={"group": "old-atlas"}, headers=viewer)) == ["g-0", "g-1"]
    detail = (await client.get(f"{GROUPS}/old-atlas", headers=viewer)).json()
    assert detail["devices"] == 2 and detail["filter"] == {"platform": "atlas", "firmware_version": "1.0"}
    names = [g["name"] for g in (await client.get(GROUPS, headers=viewer)).json()["groups"]]
    assert names == ["old-atlas", "wave-1"]
    bulk = await client.post(
        f"{DEVICES}/bulk",
        json={"operation": "status", "group": "old-atlas", "filter": {"location": None}},
        headers=admin,
    )
    assert bulk.status_code == 200 and sorted(r["device_id"] for r in bulk.json()["results"]) == [
        "g-0",
        "g-1",
    ]
    assert (await client.delete(f"{GROUPS}/wave-1", headers=admin)).status_code == 204
    assert (await client.get(f"{GROUPS}/wave-1", headers=viewer)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "kind": "static"},  # no tag
        {"name": "x", "kind": "static", "tag": "a", "filter": {"platform": "atlas"}},
        {"name": "x", "kind": "dynamic", "filter": {}},
        {"name": "x", "kind": "dynamic", "filter": {"colour": "red"}},
        {"name": "bad name!", "kind": "static", "tag": "a"},
        {"name": "x", "kind": "sometimes", "tag": "a"},
    ],
)
async def test_bad_groups_are_refused_with_the_error_body(client, container, body):
    answer = await client.post(GROUPS, json=body, headers=auth_header(container, "admin"))
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "VALIDATION_ERROR" and answer.json()["status"] == 400


async def test_unknown_groups_and_roles(client, container):
    viewer, admin = auth_header(container, "viewer"), auth_header(container, "admin")
    assert (await client.get(DEVICES, params={"group": "nope"}, headers=viewer)).json()["code"] == "NOT_FOUND"
    body = {"name": "w", "kind": "static", "tag": "w"}
    assert (await client.post(GROUPS, json=body, headers=viewer)).status_code == 403
    assert (
        await client.patch(f"{DEVICES}/g-0", json={"tags": ["x"]}, headers=auth_header(container, "operator"))
    ).status_code == 403
    assert (await client.post(GROUPS, json=body, headers=admin)).status_code == 201
    assert (await client.post(GROUPS, json=body, headers=admin)).status_code == 409
    bad_tag = await client.patch(f"{DEVICES}/g-0", json={"tags": ["no spaces"]}, headers=admin)
    assert bad_tag.status_code == 400 and bad_tag.json()["code"] == "VALIDATION_ERROR"
