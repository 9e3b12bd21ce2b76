"""The SQL alert store on both databases: one open alert per rule, breach state, rule overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import SystemClock
from adapters.persistence.alert_store import SqlAlertUnitOfWork
from domain.alert_evaluation import Breach
from domain.alert_rule_document import RuleOverride
from domain.alert_rules import RuleName, Severity
from domain.alerts import Alert, Finding
from domain.devices import Device, Platform
from domain.errors import Conflict
from domain.events import DeviceStatusChanged
from domain.services.alerts import AlertService

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
OFFLINE = Finding(RuleName.OFFLINE, Severity.WARNING, "Device offline")


@pytest.fixture
async def uow(container):
    await container.services.inventory().register(Device(id="edge-001", name="a", platform=Platform.ATLAS))
    engine = container.gateways.engine()
    return lambda: SqlAlertUnitOfWork(engine)


async def raise_offline(uow) -> Alert:
    async with uow() as work:
        alert = Alert.raised("edge-001", OFFLINE, NOW)
        await work.alerts.add(alert)
        await work.commit()
    return alert


async def test_a_second_open_alert_of_a_rule_is_refused_until_the_first_resolves(uow):
    first = await raise_offline(uow)
    with pytest.raises(Conflict):
        await raise_offline(uow)
    async with uow() as work:
        first.resolve(NOW)
        await work.alerts.save(first)
        await work.commit()
    second = await raise_offline(uow)
    assert second.id != first.id


async def test_a_worker_that_lost_the_race_updates_the_alert_the_other_raised(uow, container):
    class StaleRead(SqlAlertUnitOfWork):
        stale = True

        async def __aenter__(self):
            work = await super().__aenter__()
            if StaleRead.stale:  # this worker read before the other one committed its alert
                StaleRead.stale = False
                work.alerts.open_for_device = lambda device_id: _nothing()
            return work

    async def _nothing():
        return []

    winner = await raise_offline(uow)
    service = AlertService(lambda: StaleRead(container.gateways.engine()), SystemClock())
    await service.on_event(DeviceStatusChanged("edge-001", NOW, "online", "offline"))
    [alert] = (await service.list()).items
    assert alert.id == winner.id and alert.updated_at > NOW


async def test_breach_state_is_stored_replaced_and_forgotten(uow):
    async with uow() as work:
        await work.breaches.put("edge-001", RuleName.CPU, Breach(NOW))
        await work.breaches.put("edge-001", RuleName.CPU, Breach(NOW, NOW + timedelta(minutes=1)))
        await work.breaches.put("edge-001", RuleName.MEMORY, Breach(NOW))
        await work.breaches.put("edge-001", RuleName.MEMORY, None)
        await work.commit()
    async with uow() as work:
        assert await work.breaches.for_device("edge-001") == {
            RuleName.CPU: Breach(NOW, NOW + timedelta(minutes=1))
        }


async def test_rule_overrides_are_replaced_as_a_whole_and_rolled_back_unless_committed(uow):
    rows = [
        RuleOverride("cpu_high", "atlas", {"warning": 80.0}),
        RuleOverride("device_offline", "*", {"enabled": False}),
    ]
    async with uow() as work:
        await work.rules.replace(rows, "root", NOW)
        await work.commit()
    async with uow() as work:
        await work.rules.replace([], "root", NOW)  # not committed
    async with uow() as work:
        assert sorted(await work.rules.overrides(), key=lambda r: r.rule) == rows
