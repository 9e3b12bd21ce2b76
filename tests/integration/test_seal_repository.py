"""SqlSealRepository on SQLite and PostgreSQL: round trip, one active seal per key, atomic replacement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.clock import FakeClock
from adapters.persistence.seals import SqlSealRepository
from domain.attestation.evidence import HashAlg
from domain.devices import Device, Platform
from domain.errors import Conflict
from domain.sealing import Seal, SealStatus, new_seal_id, policy_pcr_digest

CLOCK = FakeClock()


@pytest.fixture
async def repo(container):
    await container.services.inventory().register(
        Device(id="edge-a", name="a", platform=Platform.ATLAS, tpm_enabled=True, tee_enabled=True)
    )
    return SqlSealRepository(container.gateways.engine())


def a_seal(key_id: str = "k1", minutes: int = 0) -> Seal:
    values = {0: bytes(32), 7: b"\x07" * 32}
    return Seal(
        id=new_seal_id(),
        device_id="edge-a",
        key_id=key_id,
        bank=HashAlg.SHA256,
        pcr_values=values,
        policy_digest=policy_pcr_digest(HashAlg.SHA256, values),
        sealed_blob=b"\x00\x01blob",
        created_at=CLOCK.now() + timedelta(minutes=minutes),
        created_by="alice",
    )


async def test_a_seal_round_trips_with_its_policy_and_blob(repo):
    seal = a_seal()
    await repo.add(seal)
    stored = await repo.get_active("edge-a", "k1")
    assert vars(stored) == vars(seal)


async def test_a_second_active_seal_for_one_key_is_a_conflict_even_without_the_service(repo):
    await repo.add(a_seal())
    with pytest.raises(Conflict):
        await repo.add(a_seal())
    await repo.add(a_seal("k2"))


async def test_replacing_revokes_the_old_seal_in_the_same_transaction(repo):
    old = a_seal()
    await repo.add(old)
    old.revoke(CLOCK.now() + timedelta(minutes=1))
    new = a_seal(minutes=1)
    await repo.add(new, replaces=old)
    listed = await repo.list_for_device("edge-a")
    assert [(s.id, s.status) for s in listed] == [(new.id, SealStatus.ACTIVE), (old.id, SealStatus.REVOKED)]
    assert listed[1].revoked_at == old.revoked_at
    with pytest.raises(Conflict):  # the old one is no longer active: a stale replace loses
        await repo.add(a_seal(minutes=2), replaces=old)
    assert (await repo.get_active("edge-a", "k1")).id == new.id


async def test_the_read_side_counts_devices_not_keys(repo):
    assert await repo.sealed_devices(["edge-a", "edge-b"]) == set() and await repo.count_sealed_devices() == 0
    await repo.add(a_seal("k1"))
    await repo.add(a_seal("k2"))
    assert await repo.sealed_devices(["edge-a", "edge-b"]) == {"edge-a"}
    assert await repo.count_sealed_devices() == 1
