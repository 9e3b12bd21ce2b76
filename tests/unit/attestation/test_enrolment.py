"""AK enrolment: only a restricted signing key that proves ActivateCredential with its EK is trusted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.tpm.simulated import SimulatedTpm
from domain.attestation.enrolment import EnrolmentRejected
from domain.attestation.evidence import HashAlg, SigScheme
from domain.attestation.tpm_public import EccCurve, ObjectAttr, build_public, parse_public
from domain.errors import AttestationFailed

from .conftest import make_device


@pytest.fixture
def device(world):
    world.repo.add_device(make_device("edge-100"))
    return SimulatedTpm("enrol:100")


async def begin(world, tpm, ak_public=None, device_id="edge-100"):
    return await world.enrolment.begin_enrolment(device_id, tpm.ek_public(), ak_public or tpm.ak_public())


async def test_a_device_that_activates_the_credential_gets_its_ak_trusted(world, device):
    challenge = await begin(world, device)
    assert not world.repo.keys["edge-100"].activated
    answer = device.activate_credential(challenge.credential_blob, challenge.encrypted_secret)
    record = await world.enrolment.complete_enrolment("edge-100", answer)
    assert record.activated and record.key.name == device.ak_name == challenge.ak_name
    assert world.repo.keys["edge-100"].activated


async def test_an_enrolled_device_can_then_be_attested(world, device):
    world.gateway.tpms["edge-100"] = device
    challenge = await begin(world, device)
    await world.enrolment.complete_enrolment(
        "edge-100", device.activate_credential(challenge.credential_blob, challenge.encrypted_secret)
    )
    assert (await world.service.verify_device("edge-100")).succeeded


async def test_a_wrong_answer_is_rejected_and_the_ak_stays_untrusted(world, device):
    await begin(world, device)
    with pytest.raises(EnrolmentRejected, match="Wrong answer"):
        await world.enrolment.complete_enrolment("edge-100", b"\x00" * 32)
    assert not world.repo.keys["edge-100"].activated


async def test_a_replayed_answer_is_rejected(world, device):
    challenge = await begin(world, device)
    answer = device.activate_credential(challenge.credential_blob, challenge.encrypted_secret)
    await world.enrolment.complete_enrolment("edge-100", answer)
    with pytest.raises(EnrolmentRejected, match="already answered"):
        await world.enrolment.complete_enrolment("edge-100", answer)
    assert world.repo.keys["edge-100"].activated


async def test_the_right_answer_after_a_wrong_one_is_rejected_because_the_challenge_is_spent(world, device):
    challenge = await begin(world, device)
    with pytest.raises(EnrolmentRejected):
        await world.enrolment.complete_enrolment("edge-100", b"guess")
    answer = device.activate_credential(challenge.credential_blob, challenge.encrypted_secret)
    with pytest.raises(EnrolmentRejected, match="already answered"):
        await world.enrolment.complete_enrolment("edge-100", answer)


async def test_an_answer_after_the_challenge_expired_is_rejected(world, device, clock):
    challenge = await begin(world, device)
    clock.advance(seconds=301)
    answer = device.activate_credential(challenge.credential_blob, challenge.encrypted_secret)
    with pytest.raises(EnrolmentRejected, match="expired"):
        await world.enrolment.complete_enrolment("edge-100", answer)


async def test_a_device_with_another_ek_cannot_answer_the_challenge(world, device):
    challenge = await begin(world, device)
    impostor = SimulatedTpm("enrol:100", rsa_seed="other-ek")  # same AK, different EK
    with pytest.raises(ValueError):
        impostor.activate_credential(challenge.credential_blob, challenge.encrypted_secret)


def _altered(tpm: SimulatedTpm, **changes) -> bytes:
    return build_public(replace(parse_public(tpm.ak_public()), **changes))


AK = SimulatedTpm("enrol:100").ak_public()
ATTRS = parse_public(AK).attributes


@pytest.mark.parametrize(
    "changes, problem",
    [
        (dict(attributes=ATTRS & ~ObjectAttr.RESTRICTED), "restricted must be set"),
        (dict(attributes=ATTRS & ~ObjectAttr.SIGN), "sign must be set"),
        (dict(attributes=ATTRS & ~ObjectAttr.FIXED_TPM), "fixed_tpm must be set"),
        (dict(attributes=ATTRS & ~ObjectAttr.FIXED_PARENT), "fixed_parent must be set"),
        (dict(attributes=ATTRS & ~ObjectAttr.SENSITIVE_DATA_ORIGIN), "sensitive_data_origin must be set"),
        (dict(attributes=ATTRS | ObjectAttr.DECRYPT), "decrypt must be clear"),
        (dict(curve=EccCurve.NIST_P384, x=b"\x01" * 48, y=b"\x01" * 48), "NIST P-256"),
        (dict(scheme_hash=HashAlg.SHA1), "SHA-256 or stronger"),
        (dict(scheme=0x0019), "sign with ECDSA"),
    ],
)
async def test_an_ak_with_wrong_attributes_is_rejected_with_a_stable_code(world, device, changes, problem):
    with pytest.raises(EnrolmentRejected, match=problem) as caught:
        await begin(world, device, _altered(device, **changes))
    assert caught.value.code == "ENROLMENT_REJECTED"
    assert "edge-100" not in world.repo.keys


async def test_a_small_rsa_ak_is_rejected(world, device):
    rsa_ak = parse_public(SimulatedTpm("enrol:100", ak="rsassa").ak_public())
    small = build_public(replace(rsa_ak, key_bits=1024, modulus=rsa_ak.modulus[:128]))
    with pytest.raises(EnrolmentRejected, match="at least 2048 bits"):
        await begin(world, device, small)


async def test_an_rsa_ak_with_a_rsapss_scheme_is_accepted(world, device):
    challenge = await begin(world, device, SimulatedTpm("enrol:100", ak="rsapss").ak_public())
    assert world.repo.keys["edge-100"].key.scheme is SigScheme.RSAPSS
    assert challenge.encrypted_secret


async def test_garbage_instead_of_a_public_area_is_rejected(world, device):
    with pytest.raises(EnrolmentRejected, match="not a valid TPM2B_PUBLIC"):
        await begin(world, device, b"\x00\x04junk")


async def test_an_ek_that_is_not_a_restricted_decryption_key_is_rejected(world, device):
    with pytest.raises(EnrolmentRejected, match="restricted decryption key"):
        await world.enrolment.begin_enrolment("edge-100", device.ak_public(), device.ak_public())


async def test_a_device_without_tpm_cannot_enrol(world, device):
    world.repo.add_device(make_device("edge-101", tpm_enabled=False))
    with pytest.raises(AttestationFailed, match="has no TPM"):
        await begin(world, device, device_id="edge-101")


async def test_an_ek_certificate_the_configured_verifier_refuses_rejects_the_enrolment(world, device):
    class RefuseAll:
        def verify(self, ek_public, ek_certificate):
            raise ValueError("no trusted CA issued the certificate")

    world.enrolment._ek_verifier = RefuseAll()  # noqa: SLF001 - configure the optional port for this test
    with pytest.raises(EnrolmentRejected, match="no trusted CA"):
        await begin(world, device)
    assert "edge-100" not in world.repo.keys
