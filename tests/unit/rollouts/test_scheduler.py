"""The rollout scheduler against in-memory fakes and a fake clock: deadlines, wrong firmware, rate
and in-flight limits, percentage thresholds, and what a step retried after a crash does."""

from __future__ import annotations

import pytest

from adapters.memory.clock import FakeClock
from adapters.memory.inventory import InMemoryFleetQueries, InMemoryStore, InMemoryUnitOfWork
from adapters.signals import InProcessSignals
from domain.access import Principal, Role
from domain.attestation.verdict import AttestationVerdict, BatchReport, VerdictStatus
from domain.commands import CommandStatus
from domain.devices import Device, Platform
from domain.groups import DeviceSelector, GroupKind
from domain.rollouts import Artifact, Plan, Thresholds
from domain.services.commands import CommandService
from domain.services.groups import GroupService
from domain.services.rollouts import RolloutRequest, RolloutService

ADMIN = Principal("root", Role.ADMIN)
ARTIFACT = Artifact("https://fw.example/m-2.0.bin", "cd" * 32, 100)


class Policies:
    async def get_policy(self, scope):
        return object() if scope.firmware_version == "2.0" else None


class Attestation:
    """Judges whoever is asked: ``bad`` devices fail."""

    def __init__(self, clock) -> None:
        self.clock, self.bad, self.asked = clock, set(), []

    async def verify_many(self, device_ids):
        self.asked += list(device_ids)
        status = lambda d: VerdictStatus.FAILED if d in self.bad else VerdictStatus.SUCCESS  # noqa: E731
        return BatchReport([AttestationVerdict(d, status(d), [], self.clock.now()) for d in device_ids])


class Fleet:
    def __init__(self, count: int = 4) -> None:
        self.clock, self.store = FakeClock(), InMemoryStore()
        uow = lambda: InMemoryUnitOfWork(self.store)  # noqa: E731
        for i in range(count):
            device = Device(
                f"d-{i}", f"d {i}", Platform.ATLAS, model="M", firmware_version="1.0", tpm_enabled=True
            )
            self.store.devices[device.id] = device
            self.store.rollout_data.tags[device.id] = ["all"]
        self.commands = CommandService(uow, self.clock, InProcessSignals())
        self.groups = GroupService(uow, InMemoryFleetQueries(self.store), self.clock)
        self.attestation = Attestation(self.clock)
        self.rollouts = RolloutService(
            uow, self.commands, self.attestation, self.groups, Policies(), self.clock
        )

    async def start(self, **plan) -> int:
        await self.groups.create(ADMIN, "all", GroupKind.STATIC, DeviceSelector(tag="all"))
        request = RolloutRequest("r", "all", "2.0", Plan(**plan), ARTIFACT)
        return (await self.rollouts.create(ADMIN, request)).id

    def sent(self) -> list[str]:
        return sorted({c.device_id for c in self.store.commands.values()})

    async def device_runs(
        self, device_id: str, reports: str = "2.0", outcome=CommandStatus.SUCCEEDED
    ) -> None:
        for command in await self.commands.next_for_device(device_id, 0):
            await self.commands.report(device_id, command.id, outcome, {"message": "done"})
        self.store.devices[device_id].firmware_version = reports

    async def states(self, rollout_id: int) -> dict[str, tuple]:
        return {t.device_id: (t.state.value, t.reason) for t in await self.rollouts.targets(rollout_id)}


async def test_a_device_that_never_proves_the_update_fails_at_its_deadline_and_aborts():
    fleet = Fleet(2)
    rollout_id = await fleet.start(
        canary=1, device_deadline_seconds=60, thresholds=Thresholds(max_failures=0)
    )
    await fleet.rollouts.advance()
    assert fleet.sent() == ["d-0"]
    fleet.clock.advance(seconds=59)
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-0"][0] == "in_flight"
    fleet.clock.advance(seconds=1)
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-0"] == ("failed", "deadline")
    status = await fleet.rollouts.get(rollout_id)
    assert status.rollout.state.value == "aborted" and fleet.sent() == ["d-0"]
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-1"] == ("canceled", None)


async def test_reporting_another_version_fails_with_wrong_firmware():
    fleet = Fleet(2)
    rollout_id = await fleet.start(canary=1, thresholds=Thresholds(max_failures=1))
    await fleet.rollouts.advance()
    await fleet.device_runs("d-0", reports="1.9")
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-0"][1].value == "wrong_firmware"
    assert fleet.attestation.asked == []  # never verified: it does not run the firmware


async def test_success_needs_the_agent_the_reported_version_and_the_verdict():
    fleet = Fleet(1)
    rollout_id = await fleet.start(canary=0)
    await fleet.rollouts.advance()
    for command in await fleet.commands.next_for_device("d-0", 0):
        await fleet.commands.report("d-0", command.id, CommandStatus.SUCCEEDED, {})
    await fleet.rollouts.advance()  # the agent succeeded, the inventory still says 1.0
    assert (await fleet.states(rollout_id))["d-0"][0] == "installed" and fleet.attestation.asked == []
    fleet.store.devices["d-0"].firmware_version = "2.0"
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-0"][0] == "succeeded" and fleet.attestation.asked == ["d-0"]
    await fleet.rollouts.advance()
    assert (await fleet.rollouts.get(rollout_id)).rollout.state.value == "completed"


async def test_rate_and_in_flight_limits_bound_what_each_step_sends():
    fleet = Fleet(6)
    await fleet.start(canary=0, rate_per_minute=2, max_in_flight=3)
    await fleet.rollouts.advance()
    await fleet.rollouts.advance()
    assert len(fleet.sent()) == 2  # two per minute
    fleet.clock.advance(seconds=61)
    await fleet.rollouts.advance()
    assert len(fleet.sent()) == 3  # three in flight at most
    for device_id in fleet.sent():
        await fleet.device_runs(device_id)
    fleet.clock.advance(seconds=61)
    await fleet.rollouts.advance()
    await fleet.rollouts.advance()
    assert len(fleet.sent()) == 5


@pytest.mark.parametrize("bad, state", [({"d-0"}, "completed"), ({"d-0", "d-1", "d-2"}, "aborted")])
async def test_a_percentage_threshold_tolerates_a_few_failures(bad, state):
    fleet = Fleet(4)
    fleet.attestation.bad = bad
    rollout_id = await fleet.start(canary=0, max_in_flight=4, thresholds=Thresholds(max_failure_percent=50))
    await fleet.rollouts.advance()
    for device_id in fleet.sent():
        await fleet.device_runs(device_id)
    await fleet.rollouts.advance()
    await fleet.rollouts.advance()
    assert (await fleet.rollouts.get(rollout_id)).rollout.state.value == state


async def test_a_failed_update_command_counts_against_the_phase():
    fleet = Fleet(2)
    rollout_id = await fleet.start(canary=1)
    await fleet.rollouts.advance()
    await fleet.device_runs("d-0", reports="1.0", outcome=CommandStatus.FAILED)
    await fleet.rollouts.advance()
    assert (await fleet.states(rollout_id))["d-0"][1].value == "command_failed"
    assert (await fleet.rollouts.get(rollout_id)).rollout.state.value == "aborted"
