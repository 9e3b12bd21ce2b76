"""Command lifecycle and use cases against in-memory fakes and a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.clock import FakeClock
from adapters.memory.inventory import InMemoryStore, InMemoryUnitOfWork
from adapters.signals import InProcessSignals
from domain.access import Principal, Role
from domain.commands import Command, CommandStatus
from domain.devices import Device, Platform
from domain.errors import Conflict, DeviceNotFound, InvalidCommand
from domain.pagination import PageRequest
from domain.services.commands import CommandForbidden, CommandService

ADMIN, OPERATOR = Principal("root", Role.ADMIN), Principal("ops", Role.OPERATOR)


@pytest.fixture
def clock():
    return FakeClock()


class WatchedSignals(InProcessSignals):
    """Tells the test when a caller has started waiting, so the test acts only after that."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def wait(self, topic: str, timeout: float) -> bool:
        self.waiting.set()  # the waiter is registered before super().wait first yields
        return await super().wait(topic, timeout)


@pytest.fixture
def signals():
    return WatchedSignals()


@pytest.fixture
def service(clock, signals):
    store = InMemoryStore()
    store.devices["edge-001"] = Device(id="edge-001", name="a", platform=Platform.ATLAS)
    return CommandService(lambda: InMemoryUnitOfWork(store), clock, signals)


@pytest.mark.parametrize(
    "name,parameters",
    [
        ("format", {}),
        ("reboot", {"timeout": 0}),
        ("reboot", {"timeout": 301}),
        ("reboot", {"timeout": "30"}),
        ("reboot", {"force": "yes"}),
        ("reboot", {"colour": "red"}),
        ("update", {}),
        ("update", {"version": ""}),
        ("status", {"version": "1.0"}),
        ("reboot", {"timeout": 60, "expires_in": 10}),
    ],
)
def test_bad_commands_and_parameters_are_invalid(clock, name, parameters):
    with pytest.raises(InvalidCommand):
        Command.create("edge-001", name, parameters, "ops", clock.now())


def test_defaults_are_filled_in(clock):
    command = Command.create("edge-001", "reboot", {}, "ops", clock.now())
    assert command.parameters == {"timeout": 30, "force": False, "expires_in": 3600}


async def test_operators_may_not_update_or_halt(service):
    for name in ("update", "halt"):
        with pytest.raises(CommandForbidden):
            await service.submit(OPERATOR, "edge-001", name, {"version": "2"} if name == "update" else {})


async def test_commands_for_unknown_devices_are_refused(service):
    with pytest.raises(DeviceNotFound):
        await service.submit(ADMIN, "ghost", "status", {})


async def test_the_full_lifecycle_with_timestamps(service, clock):
    command, created = await service.submit(OPERATOR, "edge-001", "status", {})
    assert created and command.status is CommandStatus.QUEUED
    [delivered] = await service.next_for_device("edge-001", 0)
    assert delivered.id == command.id and delivered.delivered_at == clock.now()
    clock.advance(seconds=1)
    await service.report("edge-001", command.id, CommandStatus.RUNNING, None)
    clock.advance(seconds=1)
    done = await service.report("edge-001", command.id, CommandStatus.SUCCEEDED, {"message": "ok"})
    assert (done.status, done.result, done.executed_at) == (
        CommandStatus.SUCCEEDED,
        {"message": "ok"},
        clock.now(),
    )
    assert await service.next_for_device("edge-001", 0) == []


async def test_a_delivered_command_is_never_delivered_twice(service):
    await service.submit(OPERATOR, "edge-001", "status", {})
    assert len(await service.next_for_device("edge-001", 0)) == 1
    assert await service.next_for_device("edge-001", 0) == []


async def test_a_device_cannot_skip_or_rewind_states(service):
    command, _ = await service.submit(OPERATOR, "edge-001", "status", {})
    with pytest.raises(Conflict):
        await service.report("edge-001", command.id, CommandStatus.SUCCEEDED, None)  # never delivered
    await service.next_for_device("edge-001", 0)
    await service.report("edge-001", command.id, CommandStatus.FAILED, {"message": "boom"})
    with pytest.raises(Conflict):
        await service.report("edge-001", command.id, CommandStatus.RUNNING, None)


async def test_an_idempotent_retry_returns_the_same_command(service):
    first, created = await service.submit(OPERATOR, "edge-001", "reboot", {"force": True}, "key-1")
    again, created_again = await service.submit(OPERATOR, "edge-001", "reboot", {"force": True}, "key-1")
    assert created and not created_again and again.id == first.id
    page = await service.list("edge-001", None, PageRequest(10))
    assert page.total == 1


async def test_reusing_a_key_for_a_different_request_is_a_conflict(service):
    await service.submit(OPERATOR, "edge-001", "reboot", {}, "key-1")
    with pytest.raises(Conflict):
        await service.submit(OPERATOR, "edge-001", "diagnose", {}, "key-1")


async def test_a_command_nobody_fetches_times_out_at_its_deadline(service, clock):
    command, _ = await service.submit(OPERATOR, "edge-001", "status", {"timeout": 5, "expires_in": 60})
    clock.advance(seconds=59)
    assert await service.expire_due() == 0
    clock.advance(seconds=2)
    assert await service.expire_due() == 1
    assert (await service.get("edge-001", command.id)).status is CommandStatus.TIMED_OUT
    assert await service.next_for_device("edge-001", 0) == []


async def test_a_report_after_the_deadline_is_refused_and_the_command_times_out(service, clock):
    command, _ = await service.submit(OPERATOR, "edge-001", "status", {"timeout": 5, "expires_in": 60})
    await service.next_for_device("edge-001", 0)
    clock.advance(seconds=61)
    with pytest.raises(Conflict):
        await service.report("edge-001", command.id, CommandStatus.SUCCEEDED, {"message": "late"})
    assert (await service.get("edge-001", command.id)).status is CommandStatus.TIMED_OUT


async def test_queued_commands_can_be_canceled_but_running_ones_cannot(service):
    queued, _ = await service.submit(OPERATOR, "edge-001", "status", {})
    assert (await service.cancel("edge-001", queued.id)).status is CommandStatus.CANCELED
    running, _ = await service.submit(OPERATOR, "edge-001", "diagnose", {})
    await service.next_for_device("edge-001", 0)
    await service.report("edge-001", running.id, CommandStatus.RUNNING, None)
    with pytest.raises(Conflict):
        await service.cancel("edge-001", running.id)


async def test_a_waiting_caller_wakes_up_when_the_result_arrives(service, signals):
    command, _ = await service.submit(OPERATOR, "edge-001", "status", {})
    waiter = asyncio.create_task(service.wait("edge-001", command.id, 10))
    await asyncio.wait_for(signals.waiting.wait(), 2)
    await service.next_for_device("edge-001", 0)
    await service.report("edge-001", command.id, CommandStatus.SUCCEEDED, {"message": "fine"})
    finished = await asyncio.wait_for(waiter, 2)
    assert finished.status is CommandStatus.SUCCEEDED


async def test_a_long_poll_returns_as_soon_as_work_is_queued(service, signals):
    poll = asyncio.create_task(service.next_for_device("edge-001", 10))
    await asyncio.wait_for(signals.waiting.wait(), 2)
    await service.submit(OPERATOR, "edge-001", "status", {})
    assert len(await asyncio.wait_for(poll, 2)) == 1
