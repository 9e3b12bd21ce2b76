"""Reference policies: scoped per device or per model + firmware, validated, stored and found."""

from __future__ import annotations

import pytest

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.errors import DeviceNotFound, ValidationFailed
from domain.services.reference_policies import PolicyNotFound

GOOD = {0: bytes(32), 7: b"\x07" * 32}


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"model": "Atlas 500"},
        {"device_id": "edge-001", "model": "Atlas 500"},
        {"device_id": "edge-001", "model": "Atlas 500", "firmware_version": "2.1.0"},
    ],
)
def test_a_scope_is_exactly_one_device_or_one_model_and_firmware(fields):
    with pytest.raises(ValidationFailed):
        PolicyScope(**fields)


@pytest.mark.parametrize("pcrs", [{}, {24: bytes(32)}, {-1: bytes(32)}, {0: bytes(20)}])
def test_a_policy_needs_valid_pcr_indexes_and_values_of_the_bank_size(pcrs):
    with pytest.raises(ValidationFailed):
        ReferencePolicy(PolicyScope.for_device("edge-001"), pcrs)


def test_a_sha1_policy_takes_20_byte_values():
    policy = ReferencePolicy(PolicyScope.for_device("edge-001"), {3: bytes(20), 1: bytes(20)}, HashAlg.SHA1)
    assert policy.selection == (1, 3)


async def test_policies_can_be_set_read_listed_and_deleted(world):
    device_scope = PolicyScope.for_device("edge-002")
    model_scope = PolicyScope.for_model("Atlas 500", "2.1.0")
    await world.policies.set_policy(model_scope, GOOD)
    await world.policies.set_policy(device_scope, GOOD)
    assert (await world.policies.get_policy(device_scope)).pcrs == GOOD
    assert [p.scope for p in await world.policies.list_policies()] == [device_scope, model_scope]
    assert (await world.policies.effective_policy("edge-002")).scope == device_scope
    assert (await world.policies.effective_policy("edge-001")).scope == model_scope
    await world.policies.delete_policy(device_scope)
    with pytest.raises(PolicyNotFound):
        await world.policies.get_policy(device_scope)
    with pytest.raises(PolicyNotFound):
        await world.policies.delete_policy(device_scope)


async def test_a_device_policy_for_an_unknown_device_is_refused(world):
    with pytest.raises(DeviceNotFound):
        await world.policies.set_policy(PolicyScope.for_device("ghost"), GOOD)
