"""Attestation use cases against the in-memory fakes and simulated devices."""

from __future__ import annotations

import pytest

from adapters.tpm.fleet import SimulatedFleetGateway
from adapters.tpm.simulated import SimulatedTpm
from domain.attestation.policy import PolicyScope
from domain.attestation.verdict import VerdictStatus
from domain.devices import AttestationState
from domain.errors import AttestationFailed, DeviceNotFound, DeviceUnreachable

from .conftest import make_device


async def test_an_honest_device_attests_successfully_and_the_verdict_is_stored(world):
    verdict = await world.service.verify_device("edge-001")
    assert (verdict.status, verdict.reasons) == (VerdictStatus.SUCCESS, [])
    assert list(verdict.pcr_values) == [0, 1, 2, 3, 4, 5, 6, 7]
    assert verdict.pcr_values_hex()["pcr_0"] == "0x" + "00" * 32
    assert verdict.verifier == "python" and verdict.clock is not None
    assert await world.service.latest("edge-001") is verdict
    assert world.repo.devices["edge-001"].attestation_status is AttestationState.SUCCESS


async def test_a_quote_that_arrives_after_the_nonce_ttl_fails_as_nonce_expired(world):
    class SlowGateway(SimulatedFleetGateway):
        async def request_quote(self, device_id, nonce, pcrs, bank):
            world.clock.advance(seconds=61)
            return await super().request_quote(device_id, nonce, pcrs, bank)

    world.service._gateway = SlowGateway(world.tpms)  # noqa: SLF001 - swap the port for this test
    verdict = await world.service.verify_device("edge-001")
    assert verdict.reasons == ["nonce_expired"]
    assert world.repo.devices["edge-001"].attestation_status is AttestationState.FAILED


async def test_evidence_submitted_twice_for_one_nonce_fails_the_second_time_as_nonce_reused(world):
    challenge = await world.service.issue_challenge("edge-001")
    evidence = world.tpms["edge-001"].quote(challenge.nonce.value, challenge.pcrs, challenge.bank)
    first = await world.service.submit_evidence("edge-001", challenge.nonce.value, evidence)
    second = await world.service.submit_evidence("edge-001", challenge.nonce.value, evidence)
    assert (first.reasons, second.reasons) == ([], ["nonce_reused"])


async def test_a_nonce_issued_to_another_device_is_a_nonce_mismatch(world):
    challenge = await world.service.issue_challenge("edge-001")
    evidence = world.tpms["edge-002"].quote(challenge.nonce.value, challenge.pcrs, challenge.bank)
    verdict = await world.service.submit_evidence("edge-002", challenge.nonce.value, evidence)
    assert verdict.reasons == ["nonce_mismatch"]


async def test_a_quote_for_a_nonce_the_server_never_issued_is_a_nonce_mismatch(world):
    evidence = world.tpms["edge-001"].quote(b"\x42" * 32, [0])
    verdict = await world.service.submit_evidence("edge-001", b"\x42" * 32, evidence)
    assert verdict.reasons == ["nonce_mismatch"]


@pytest.mark.parametrize(
    "rollback",
    [dict(clock_ms=5), dict(reset_count=0, restart_count=0), dict(restart_count=0)],
    ids=["clock-lower", "reset-count-lower", "restart-count-lower"],
)
async def test_counters_that_go_backwards_after_an_accepted_quote_are_a_clock_rollback(world, rollback):
    tpm = world.tpms["edge-001"]
    tpm.reboot()
    tpm.resume()
    assert (await world.service.verify_device("edge-001")).succeeded
    tpm.set_counters(**rollback)
    verdict = await world.service.verify_device("edge-001")
    assert verdict.reasons == ["clock_rollback"]


async def test_the_rollback_baseline_is_the_last_accepted_quote_not_the_last_failed_one(world):
    tpm = world.tpms["edge-001"]
    assert (await world.service.verify_device("edge-001")).succeeded
    tpm.pcr_extend(0, b"\x01" * 32)
    await world.policies.set_policy(PolicyScope.for_device("edge-001"), {0: bytes(32)})
    tpm.advance_clock(10_000)
    assert (await world.service.verify_device("edge-001")).reasons == ["policy_mismatch"]
    await world.policies.delete_policy(PolicyScope.for_device("edge-001"))
    tpm.set_counters(clock_ms=tpm.clock_ms - 5_000)  # behind the failed quote, ahead of the accepted one
    assert (await world.service.verify_device("edge-001")).succeeded


async def test_a_reboot_is_recorded_on_the_verdict_and_does_not_fail_it(world):
    await world.service.verify_device("edge-001")
    world.tpms["edge-001"].reboot()
    verdict = await world.service.verify_device("edge-001")
    assert verdict.succeeded and verdict.reboot_observed
    again = await world.service.verify_device("edge-001")
    assert again.succeeded and not again.reboot_observed


async def test_a_policy_mismatch_fails_and_lists_the_pcr_indexes_that_differ(world):
    tpm = world.tpms["edge-001"]
    await world.policies.set_policy(PolicyScope.for_device("edge-001"), tpm.pcr_read([0, 2, 4, 7]))
    tpm.pcr_extend(7, b"\x07" * 32)
    tpm.pcr_extend(2, b"\x02" * 32)
    verdict = await world.service.verify_device("edge-001")
    assert (verdict.reasons, verdict.mismatched_pcrs) == (["policy_mismatch"], [2, 7])
    assert sorted(verdict.pcr_values) == [0, 2, 4, 7]  # only the policy's PCRs are quoted


async def test_a_device_policy_takes_precedence_over_its_model_and_firmware_policy(world):
    good = world.tpms["edge-001"].pcr_read([0, 1])
    await world.policies.set_policy(PolicyScope.for_model("Atlas 500", "2.1.0"), {0: b"\x01" * 32})
    assert (await world.service.verify_device("edge-001")).reasons == ["policy_mismatch"]
    await world.policies.set_policy(PolicyScope.for_device("edge-001"), good)
    assert (await world.service.verify_device("edge-001")).succeeded
    assert (await world.service.verify_device("edge-002")).reasons == ["policy_mismatch"]


async def test_a_device_without_tpm_cannot_be_attested_and_says_why(world):
    world.repo.add_device(make_device("edge-009", tpm_enabled=False))
    with pytest.raises(AttestationFailed, match="has no TPM"):
        await world.service.verify_device("edge-009")


async def test_a_device_without_an_activated_ak_cannot_be_attested(world):
    world.repo.keys["edge-001"].activated = False
    with pytest.raises(AttestationFailed, match="no activated attestation key"):
        await world.service.verify_device("edge-001")


async def test_unknown_and_decommissioned_devices_are_not_found(world, clock):
    with pytest.raises(DeviceNotFound):
        await world.service.verify_device("nope")
    world.repo.devices["edge-001"].decommission(clock.now())
    with pytest.raises(DeviceNotFound):
        await world.service.verify_device("edge-001")


async def test_an_unreachable_device_raises_device_unreachable_and_stores_nothing(world):
    world.gateway.offline.add("edge-001")
    with pytest.raises(DeviceUnreachable):
        await world.service.verify_device("edge-001")
    assert world.repo.verdicts == []


async def test_verify_many_challenges_everyone_and_verifies_all_quotes_in_one_batch(world):
    calls = []
    real = world.verifier.verify_batch
    world.verifier.verify_batch = lambda checks: calls.append(len(checks)) or real(checks)
    world.gateway.offline.add("edge-003")
    world.repo.add_device(make_device("edge-009", tpm_enabled=False))
    progress = []
    report = await world.service.verify_many(
        ["edge-001", "edge-002", "edge-003", "edge-009", "ghost"],
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert calls == [2]
    assert sorted(v.device_id for v in report.verdicts if v.succeeded) == ["edge-001", "edge-002"]
    assert report.unreachable == ["edge-003"]
    assert set(report.skipped) == {"edge-009", "ghost"}
    assert progress[-1] == (3, 3)


async def test_verify_many_verifies_collected_quotes_in_chunks_and_judges_every_one(world):
    calls = []
    real = world.verifier.verify_batch
    world.verifier.verify_batch = lambda checks: calls.append(len(checks)) or real(checks)
    world.service._chunk_size = 2  # noqa: SLF001 - three quotes make a full chunk and a partial one
    world.gateway.tpms["edge-002"] = SimulatedTpm("impostor")
    report = await world.service.verify_many(["edge-001", "edge-002", "edge-003"])
    assert calls == [2, 1]
    assert {v.device_id: v.reasons for v in report.verdicts} == {
        "edge-001": [],
        "edge-002": ["bad_signature"],
        "edge-003": [],
    }
    assert len(world.repo.verdicts) == 3


async def test_trusting_current_values_stores_them_as_the_device_policy(world):
    tpm = world.tpms["edge-001"]
    tpm.pcr_extend(7, b"\x07" * 32)
    policy = await world.service.trust_current_values("edge-001", pcrs=[0, 7])
    assert policy.scope == PolicyScope.for_device("edge-001")
    assert policy.pcrs == tpm.pcr_read([0, 7])
    assert (await world.service.verify_device("edge-001")).succeeded
    tpm.pcr_extend(7, b"\x07" * 32)
    assert (await world.service.verify_device("edge-001")).mismatched_pcrs == [7]


async def test_current_values_of_a_device_that_fails_attestation_are_not_trusted(world):
    world.gateway.tpms["edge-001"] = SimulatedTpm("impostor")
    with pytest.raises(AttestationFailed, match="bad_signature"):
        await world.service.trust_current_values("edge-001")
    assert world.repo.policies == {}


async def test_nonce_freshness_is_judged_when_the_quote_arrived_not_after_a_slow_batch_verification(world):
    real = world.verifier.verify_batch

    def slow(checks):
        world.clock.advance(seconds=120)
        return real(checks)

    world.verifier.verify_batch = slow
    report = await world.service.verify_many(["edge-001", "edge-002"])
    assert [v.reasons for v in report.verdicts] == [[], []]
