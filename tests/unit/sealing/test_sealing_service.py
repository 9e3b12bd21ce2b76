"""SealingService on fakes: who can be sealed to, where the PCR values come from, and where the key goes."""

from __future__ import annotations

import pytest

from adapters.tpm.unseal_simulated import import_and_unseal
from domain.access import Principal, Role
from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.errors import Conflict, DeviceNotFound, TeeNotAvailable, ValidationFailed
from domain.sealing import NotEnrolled, SealStatus, policy_pcr_digest
from tests.unit.sealing.conftest import tpm_device

ADMIN = Principal("alice", Role.ADMIN)
POLICY = "pcr_0,pcr_1,pcr_7"


def current_values(world, device_id="edge-a") -> list[str]:
    return ["0x" + v.hex() for v in world.tpms[device_id].pcr_read([0, 1, 7]).values()]


async def test_a_sealed_key_unseals_on_its_device_and_appears_nowhere_on_the_server(world):
    seal = await world.service.seal(ADMIN, "edge-a", "master_key_001", POLICY, current_values(world))
    [key] = world.issued
    assert len(key) == 32 and import_and_unseal(world.tpms["edge-a"], seal.sealed_blob) == key
    stored = world.seals.seals[seal.id]
    assert key not in stored.sealed_blob and key not in repr(vars(stored)).encode()
    assert (stored.status, stored.created_by, stored.policy) == (SealStatus.ACTIVE, "alice", POLICY)
    assert stored.policy_digest == policy_pcr_digest(HashAlg.SHA256, world.tpms["edge-a"].pcr_read([0, 1, 7]))


async def test_omitted_pcr_values_are_taken_from_the_devices_reference_policy(world):
    golden = {pcr: bytes([pcr]) * 32 for pcr in (0, 1, 7, 8)}
    await world.attestation.put_policy(ReferencePolicy(PolicyScope.for_device("edge-a"), golden))
    seal = await world.service.seal(ADMIN, "edge-a", "k1", POLICY)
    assert seal.pcr_values == {pcr: golden[pcr] for pcr in (0, 1, 7)}


async def test_omitted_pcr_values_fall_back_to_the_model_policy_and_must_cover_every_pcr(world):
    model = ReferencePolicy(PolicyScope.for_model("Atlas 500", "2.1.0"), {0: bytes(32), 1: bytes(32)})
    await world.attestation.put_policy(model)
    assert (await world.service.seal(ADMIN, "edge-a", "k1", "pcr_0,pcr_1")).pcr_values == model.pcrs
    with pytest.raises(ValidationFailed, match="lacks pcr_7"):
        await world.service.seal(ADMIN, "edge-a", "k2", POLICY)


@pytest.mark.parametrize("changes", [dict(tpm_enabled=False), dict(tee_enabled=False)])
async def test_a_device_without_tpm_or_tee_cannot_be_sealed_to(world, changes):
    world.attestation.add_device(tpm_device("edge-c", **changes))
    with pytest.raises(TeeNotAvailable) as raised:
        await world.service.seal(ADMIN, "edge-c", "k1", POLICY, current_values(world))
    assert raised.value.code == "TEE_NOT_AVAILABLE"


async def test_an_unknown_device_is_not_found_and_an_unproven_ek_is_not_enrolled(world):
    with pytest.raises(DeviceNotFound):
        await world.service.seal(ADMIN, "edge-zz", "k1", POLICY, current_values(world))
    await world.enrol("edge-b", activated=False)
    with pytest.raises(NotEnrolled):
        await world.service.seal(ADMIN, "edge-b", "k1", POLICY, current_values(world))


async def test_a_second_active_seal_for_the_same_key_id_conflicts_unless_it_replaces_the_first(world):
    first = await world.service.seal(ADMIN, "edge-a", "k1", POLICY, current_values(world))
    with pytest.raises(Conflict):
        await world.service.seal(ADMIN, "edge-a", "k1", POLICY, current_values(world))
    second = await world.service.seal(ADMIN, "edge-a", "k1", POLICY, current_values(world), replace=True)
    listed = await world.service.list_seals("edge-a")
    assert {s.id: s.status for s in listed} == {first.id: SealStatus.REVOKED, second.id: SealStatus.ACTIVE}
    assert [s.id for s in await world.service.active_seals("edge-a")] == [second.id]


async def test_request_errors_are_reported_before_any_key_is_drawn(world):
    for key_id, policy, values in [
        ("bad key", POLICY, None),
        ("k1", "pcr_0,pcr_0", None),
        ("k1", POLICY, ["0x00"]),
    ]:
        with pytest.raises(ValidationFailed):
            await world.service.seal(ADMIN, "edge-a", key_id, policy, values)
    assert world.issued == []
