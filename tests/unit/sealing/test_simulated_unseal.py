"""The simulated TPM imports and unseals blobs made by the server-side builder exactly as a TPM would."""

from __future__ import annotations

import pytest

from adapters.tpm.unseal_simulated import import_and_unseal
from domain.attestation.evidence import HashAlg
from domain.attestation.marshal import WireError
from domain.sealing import SealedBlob, UnsealFailed
from tests.unit.sealing.conftest import SEALED_PCRS, seal_blob, simulated_a


def test_the_device_recovers_the_key_while_its_pcrs_hold_the_sealed_values(device_a, maker):
    assert (
        import_and_unseal(device_a, seal_blob(maker, device_a, b"volume key 0123456789abcdef0123"))
        == b"volume key 0123456789abcdef0123"
    )


def test_after_extending_pcr_7_the_key_no_longer_unseals(maker):
    tpm = simulated_a()  # its own PCRs
    blob = seal_blob(maker, tpm)
    assert import_and_unseal(tpm, blob) == b"k" * 32
    tpm.pcr_extend(7, b"\x01" * 32)
    with pytest.raises(UnsealFailed, match="PCR policy"):
        import_and_unseal(tpm, blob)


def test_a_blob_made_for_device_a_does_not_unseal_on_device_b(device_a, device_b, maker):
    with pytest.raises(UnsealFailed, match="EK"):
        import_and_unseal(device_b, seal_blob(maker, device_a))


def test_a_blob_sealed_to_future_values_unseals_once_the_pcrs_reach_them(maker):
    tpm = simulated_a()
    measurement = b"\x42" * 32
    future = simulated_a()
    future.pcr_extend(7, measurement)
    blob = seal_blob(maker, tpm, values=future.pcr_read(SEALED_PCRS))
    with pytest.raises(UnsealFailed):
        import_and_unseal(tpm, blob)
    tpm.pcr_extend(7, measurement)
    assert import_and_unseal(tpm, blob) == b"k" * 32


@pytest.mark.parametrize(
    "offset", [7, -1, -200, -300, -400], ids=["selection", "seed", "seed-middle", "duplicate", "public"]
)
def test_any_altered_byte_of_the_blob_is_refused(device_a, maker, offset):
    blob = bytearray(seal_blob(maker, device_a))
    blob[offset] ^= 0x01
    with pytest.raises(UnsealFailed):
        import_and_unseal(device_a, bytes(blob))


def test_a_policy_swapped_into_the_public_area_breaks_the_integrity_check(device_a, maker):
    sealed = SealedBlob.parse(seal_blob(maker, device_a, values={pcr: b"\xee" * 32 for pcr in SEALED_PCRS}))
    current = SealedBlob.parse(seal_blob(maker, device_a))
    forged = SealedBlob(sealed.bank, sealed.pcrs, current.public, sealed.duplicate, sealed.encrypted_seed)
    with pytest.raises(UnsealFailed, match="integrity"):
        import_and_unseal(device_a, forged.marshal())


def test_the_blob_format_round_trips_and_rejects_trailing_bytes(device_a, maker):
    blob = seal_blob(maker, device_a)
    parsed = SealedBlob.parse(blob)
    assert parsed.bank is HashAlg.SHA256 and parsed.pcrs == SEALED_PCRS and parsed.marshal() == blob
    with pytest.raises(WireError):
        SealedBlob.parse(blob + b"\x00")
    with pytest.raises(UnsealFailed, match="does not parse"):
        import_and_unseal(device_a, blob[:-1])
