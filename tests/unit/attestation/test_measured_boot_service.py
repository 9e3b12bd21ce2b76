"""The attestation use case with boot event logs: replay against the quote, event policies, learning,
and where the log's verdict ranks among the others (in-memory fakes, simulated TPMs)."""

from __future__ import annotations

import pytest

from adapters.memory.event_policies import InMemoryEventPolicyRepository
from adapters.tpm.fleet import SimulatedFleetGateway
from adapters.tpm.simulated import SimulatedTpm
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.errors import AttestationFailed
from domain.measured_boot.policy import EventPolicy
from domain.services.attestation import AttestationService
from entrypoints.agent.simulated import SWAPPED_BOOTLOADER, device_boot_log

MODEL, FIRMWARE = "Atlas 500", "2.1.0"  # make_device's


@pytest.fixture
def booted(world):
    """The world's devices booted from the simulated UEFI log, the service given an event policy store."""
    for tpm in world.tpms.values():
        tpm.measure_log(device_boot_log(MODEL, FIRMWARE))
    world.event_policies = InMemoryEventPolicyRepository()
    world.service = AttestationService(
        world.repo,
        world.nonces,
        world.gateway,
        world.verifier,
        world.clock,
        event_policies=world.event_policies,
    )
    return world


def reboot(tpm: SimulatedTpm, **boot) -> None:
    tpm.reboot()
    tpm.measure_log(device_boot_log(MODEL, FIRMWARE, **boot))


async def test_learning_from_a_good_device_covers_its_whole_model(booted):
    policy = await booted.service.learn_event_policy("edge-001", model_scope=True)
    assert policy.scope == PolicyScope.for_model(MODEL, FIRMWARE) and policy.updated_at == booted.clock.now()
    report = await booted.service.verify_many(["edge-001", "edge-002", "edge-003"])
    assert [v.reasons for v in report.verdicts] == [[], [], []]


async def test_a_swapped_bootloader_fails_the_event_policy_even_where_the_pcr_policy_would_not_look(booted):
    await booted.service.learn_event_policy("edge-001")
    reboot(booted.tpms["edge-001"], bootloader=SWAPPED_BOOTLOADER)
    verdict = await booted.service.verify_device("edge-001")
    assert verdict.reasons == ["event_policy_mismatch"]
    assert [(f["rule"], f["pcr"]) for f in verdict.failed_events] == [("boot_applications", 4)]
    assert (await booted.repo.latest_verdict("edge-001")).failed_events == verdict.failed_events


async def test_with_an_event_policy_and_a_log_golden_pcr_values_are_not_compared(booted):
    """A firmware update the rules allow passes: the PCR values changed, the events are allowed."""
    await booted.repo.put_policy(ReferencePolicy(PolicyScope.for_device("edge-001"), {0: bytes(32)}))
    await booted.event_policies.put_event_policy(
        EventPolicy(PolicyScope.for_device("edge-001"), secure_boot=True)
    )
    assert (await booted.service.verify_device("edge-001")).reasons == []


async def test_without_a_log_the_pcr_policy_still_judges(world):
    await world.repo.put_policy(ReferencePolicy(PolicyScope.for_device("edge-001"), {0: b"\x01" * 32}))
    verdict = await world.service.verify_device("edge-001")
    assert (verdict.reasons, verdict.mismatched_pcrs) == (["policy_mismatch"], [0])


async def test_an_expired_nonce_outranks_a_bad_log(booted):
    class SlowGateway(SimulatedFleetGateway):
        async def request_quote(self, device_id, nonce, pcrs, bank):
            booted.clock.advance(seconds=61)
            evidence = await super().request_quote(device_id, nonce, pcrs, bank)
            return type(evidence)(
                evidence.quote, evidence.signature, evidence.pcr_values, evidence.hash_alg, b"x"
            )

    booted.service._gateway = SlowGateway(booted.tpms)  # noqa: SLF001 - swap the port for this test
    verdict = await booted.service.verify_device("edge-001")
    assert verdict.reasons == ["nonce_expired"] and verdict.event_log_error is None


async def test_a_device_without_a_log_cannot_teach_a_policy(world):
    world.service._event_policies = InMemoryEventPolicyRepository()  # noqa: SLF001
    with pytest.raises(AttestationFailed, match="no event log"):
        await world.service.learn_event_policy("edge-001")


async def test_challenges_select_every_pcr_the_event_policy_reads(booted):
    await booted.repo.put_policy(ReferencePolicy(PolicyScope.for_device("edge-001"), {7: bytes(32)}))
    await booted.event_policies.put_event_policy(
        EventPolicy(PolicyScope.for_device("edge-001"), boot_applications=frozenset({"ab" * 32}))
    )
    challenge = await booted.service.issue_challenge("edge-001")
    assert challenge.pcrs == (4, 7)
