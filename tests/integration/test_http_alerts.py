"""Alerts and health over HTTP on both databases, driven by real telemetry and command events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.persistence.engine import create_engine
from domain.access import Principal, Role
from domain.commands import CommandStatus
from domain.devices import MetricSample
from tests.conftest import auth_header
from tests.integration.alert_wiring import alert_app, alert_client, wire_alerts

CONTRACT_ALERT_KEYS = {"id", "device_id", "severity", "message", "timestamp"}
CONTRACT_HEALTH_KEYS = {"overall_status", "devices_online", "devices_offline", "alerts", "timestamp"}


@pytest.fixture
async def client(container):
    service, stream = wire_alerts(container)
    async with alert_client(alert_app(container, service, stream)) as c:
        await c.post(
            "/api/v1/edge/devices",
            json={"id": "edge-001", "name": "a", "platform": "atlas"},
            headers=auth_header(container, "admin"),
        )
        c.headers.update(auth_header(container, "operator"))
        yield c


async def heartbeat(container, age=timedelta(0), **metrics):
    sample = MetricSample("edge-001", datetime.now(UTC) - age, **metrics)
    await container.services.telemetry().record(sample)


async def test_an_overheating_device_warns_then_turns_critical_then_resolves_when_it_cools(client, container):
    await heartbeat(container, temperature=88.0)
    [warning] = (await client.get("/api/v1/edge/alerts")).json()["alerts"]
    assert CONTRACT_ALERT_KEYS <= set(warning) and warning["id"].startswith("alert-")
    assert (warning["severity"], warning["rule"], warning["status"], warning["threshold"]) == (
        "warning",
        "temperature_high",
        "active",
        85.0,
    )
    await heartbeat(container, temperature=97.0)
    body = (await client.get("/api/v1/edge/alerts")).json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    assert (body["alerts"][0]["id"], body["alerts"][0]["severity"]) == (warning["id"], "critical")
    await heartbeat(container, temperature=60.0)
    assert (await client.get("/api/v1/edge/alerts")).json()["alerts"] == []
    [resolved] = (await client.get("/api/v1/edge/alerts", params={"status": "resolved"})).json()["alerts"]
    assert resolved["id"] == warning["id"] and resolved["resolved_at"] is not None


async def test_a_silent_device_goes_offline_and_raises_an_alert(client, container):
    await heartbeat(container, age=timedelta(minutes=10), temperature=40.0)
    assert await container.services.agents().sweep_offline() == 1
    [alert] = (await client.get("/api/v1/edge/alerts", params={"device_id": "edge-001"})).json()["alerts"]
    assert (alert["rule"], alert["severity"]) == ("device_offline", "warning")
    health = (await client.get("/api/v1/edge/health")).json()
    assert (health["overall_status"], health["devices_online"], health["devices_offline"]) == (
        "critical",
        0,
        1,
    )


async def test_a_failed_command_raises_a_warning_per_command_kind(client, container):
    commands = container.services.commands()
    queued, _ = await commands.submit(Principal("ops", Role.OPERATOR), "edge-001", "diagnose", {"timeout": 5})
    await commands.next_for_device("edge-001", 0)
    await commands.report("edge-001", queued.id, CommandStatus.FAILED, {"message": "disk full"})
    [alert] = (await client.get("/api/v1/edge/alerts", params={"severity": "warning"})).json()["alerts"]
    assert (alert["rule"], alert["subject"]) == ("command_failed", "diagnose")
    assert alert["message"] == f"Command diagnose (#{queued.id}) failed: disk full"


async def test_operators_acknowledge_and_viewers_may_not(client, container):
    await heartbeat(container, temperature=90.0)
    [alert] = (await client.get("/api/v1/edge/alerts")).json()["alerts"]
    path = f"/api/v1/edge/alerts/{alert['id']}/acknowledge"
    denied = await client.post(path, headers=auth_header(container, "viewer"))
    assert denied.status_code == 403
    acknowledged = await client.post(path)
    assert acknowledged.status_code == 200
    assert (acknowledged.json()["status"], acknowledged.json()["acknowledged_by"]) == (
        "acknowledged",
        "tester",
    )
    await heartbeat(container, temperature=50.0)
    late = await client.post(path)
    assert (late.status_code, late.json()["code"]) == (409, "CONFLICT")
    missing = await client.post("/api/v1/edge/alerts/alert-999/acknowledge")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")


async def test_health_has_the_seed_keys_and_follows_the_alerts(client, container):
    await heartbeat(container, temperature=40.0)
    healthy = (await client.get("/api/v1/edge/health", headers=auth_header(container, "viewer"))).json()
    assert CONTRACT_HEALTH_KEYS <= set(healthy)
    assert (healthy["overall_status"], healthy["devices_online"], healthy["alerts"]) == ("healthy", 1, [])
    await heartbeat(container, temperature=99.0)
    critical = (await client.get("/api/v1/edge/health")).json()
    assert critical["overall_status"] == "critical"
    assert [(a["rule"], a["severity"]) for a in critical["alerts"]] == [("temperature_high", "critical")]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"status": "closed"}, {"severity": "fatal"}]
)
async def test_bad_listing_parameters_are_validation_errors(client, params):
    response = await client.get("/api/v1/edge/alerts", params=params)
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


async def test_admins_change_thresholds_per_platform_and_others_only_read_them(client, container):
    admin = auth_header(container, "admin")
    rules = (await client.get("/api/v1/edge/alerts/rules")).json()
    assert rules["thresholds"]["atlas"]["temperature_high"] == {
        "warning": 85.0,
        "critical": 95.0,
        "for_seconds": 0,
        "enabled": True,
    }
    change = {"thresholds": {"atlas": {"temperature_high": {"warning": 70}}}}
    assert (await client.put("/api/v1/edge/alerts/rules", json=change)).status_code == 403
    changed = await client.put("/api/v1/edge/alerts/rules", json=change, headers=admin)
    assert (
        changed.status_code == 200
        and changed.json()["thresholds"]["atlas"]["temperature_high"]["warning"] == 70
    )
    assert (await client.get("/api/v1/edge/alerts/rules")).json() == changed.json()
    await heartbeat(container, temperature=72.0)
    assert [a["threshold"] for a in (await client.get("/api/v1/edge/alerts")).json()["alerts"]] == [70.0]
    reset = await client.put("/api/v1/edge/alerts/rules", json={}, headers=admin)
    assert reset.json() == rules


@pytest.mark.parametrize(
    "body",
    [
        {"thresholds": {"atlas": {"temperature_high": {"critical": 50}}}},
        {"thresholds": {"risc-v": {}}},
        {"thresholds": {"atlas": {"cpu_high": {"warning": "high"}}}},
        {"thresholds": {"atlas": {"cpu_high": {"for_seconds": -5}}}},
        {"events": {"attestation_failed": {"severity": "fatal"}}},
        {"limits": {}},
        [],
    ],
)
async def test_bad_rule_documents_are_validation_errors(client, container, body):
    response = await client.put(
        "/api/v1/edge/alerts/rules", json=body, headers=auth_header(container, "admin")
    )
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR"), response.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "unreachable", ["postgresql+asyncpg://edge:edge@127.0.0.1:9/edgefleet", "sqlite-directory"]
)
async def test_an_unreachable_database_gives_503_unavailable_with_the_seed_keys(
    container, tmp_path, unreachable
):
    url = f"sqlite+aiosqlite:///{tmp_path}" if unreachable == "sqlite-directory" else unreachable
    engine = create_engine(url)
    try:
        service, stream = wire_alerts(container, engine)
        async with alert_client(alert_app(container, service, stream)) as client:
            response = await client.get("/api/v1/edge/health", headers=auth_header(container, "viewer"))
    finally:
        await engine.dispose()
    body = response.json()
    assert response.status_code == 503 and CONTRACT_HEALTH_KEYS <= set(body)
    assert (body["overall_status"], body["code"], body["status"], body["alerts"]) == (
        "unavailable",
        "SERVICE_UNAVAILABLE",
        503,
        [],
    )
