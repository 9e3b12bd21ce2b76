"""Sealing against real TPMs (swtpm through tpm2-pytss): the server-side import blob unseals only on
its TPM and only under the sealed PCR values, and our PolicyPCR digest is the TPM's own."""

from __future__ import annotations

import hashlib

import pytest

from adapters.tpm.pytss_tpm import PytssTpm
from adapters.tpm.sealing import PytssSealMaker
from adapters.tpm.unseal_pytss import import_and_unseal, policy_pcr_session
from domain.attestation.evidence import HashAlg
from domain.sealing import PcrPolicy, SealedBlob, UnsealFailed, policy_pcr_digest

pytestmark = pytest.mark.swtpm
PCRS = (0, 1, 7)


@pytest.fixture(scope="module")
def tpm_a(start_swtpm):
    with PytssTpm(start_swtpm().tcti) as tpm:
        yield tpm


@pytest.fixture(scope="module")
def tpm_b(start_swtpm):
    with PytssTpm(start_swtpm().tcti) as tpm:
        yield tpm


def seal_for(tpm: PytssTpm, secret: bytes, values=None) -> bytes:
    policy = PcrPolicy(HashAlg.SHA256, values if values is not None else tpm.pcr_read(PCRS))
    parts = PytssSealMaker().make_import_blob(tpm.ek_public(), policy.digest, secret)
    return SealedBlob(policy.bank, policy.pcrs, *parts).marshal()


def tpm_policy_digest(tpm: PytssTpm, bank: HashAlg, pcrs) -> bytes:
    with tpm._lock:
        esys = tpm._open()
        session = policy_pcr_session(esys, bank, pcrs)
        try:
            return bytes(esys.policy_get_digest(session))
        finally:
            esys.flush_context(session)


def test_the_tpm_unseals_the_key_while_its_pcrs_hold_the_sealed_values(tpm_a):
    assert (
        import_and_unseal(tpm_a, seal_for(tpm_a, b"disk key for edge-a, 32 bytes.."))
        == b"disk key for edge-a, 32 bytes.."
    )


def test_after_extending_pcr_7_the_tpm_refuses_to_unseal(tpm_a):
    blob = seal_for(tpm_a, b"k" * 32)
    assert import_and_unseal(tpm_a, blob) == b"k" * 32
    tpm_a.pcr_extend(7, hashlib.sha256(b"unexpected boot loader").digest())
    with pytest.raises(UnsealFailed, match="policy"):
        import_and_unseal(tpm_a, blob)


def test_a_blob_for_device_a_cannot_be_unsealed_by_device_bs_tpm(tpm_a, tpm_b):
    blob = seal_for(tpm_a, b"k" * 32, values=tpm_b.pcr_read(PCRS))  # even with B's PCR values
    with pytest.raises(UnsealFailed):
        import_and_unseal(tpm_b, blob)


@pytest.mark.parametrize(
    "bank, pcrs", [(HashAlg.SHA256, PCRS), (HashAlg.SHA256, (7, 16, 23)), (HashAlg.SHA1, (0, 7))]
)
def test_our_policy_pcr_digest_equals_the_tpms_policy_get_digest(tpm_a, bank, pcrs):
    tpm_a.pcr_extend(16, hashlib.new(bank.name.lower(), b"some measurement").digest(), bank)
    assert tpm_policy_digest(tpm_a, bank, pcrs) == policy_pcr_digest(bank, tpm_a.pcr_read(pcrs, bank))
