"""PytssTpm over swtpm: its quotes verify with the reference verifier, tampered copies do not,
extends land where the TPM spec says, and ActivateCredential answers a real MakeCredential."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from tpm2_pytss import ESAPI
from tpm2_pytss.constants import ESYS_TR, TPM2_CAP

from adapters.tpm.activation import ActivationFailed
from adapters.tpm.credential import PytssCredentialChallenger
from adapters.tpm.pytss_keys import ek_template
from adapters.tpm.pytss_tpm import PytssTpm, TpmError
from adapters.tpm.templates import EK_AUTH_POLICY
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.enrolment import attestation_key_problems
from domain.attestation.evidence import HashAlg, QuoteCheck, QuoteEvidence, QuoteResult, Reason
from domain.attestation.tpm_public import parse_public

pytestmark = pytest.mark.swtpm

NONCE = bytes.fromhex("5ca1ab1e" * 5)
BOOT_PCRS = [0, 1, 7]
DEBUG_PCR = 16  # resettable, free for tests to extend
PERSISTENT_EK = 0x81010001  # the TCG-recommended handle for the RSA EK
TRANSIENT_FIRST = 0x80000000


@pytest.fixture(scope="module", params=["ecc", "rsassa", "rsapss"])
def tpm(request, swtpm_tcti):
    """One AK of each kind; pytest closes one before opening the next, so swtpm's three object
    slots are never exhausted."""
    with PytssTpm(swtpm_tcti, ak=request.param) as opened:
        yield opened


def verify(tpm: PytssTpm, evidence: QuoteEvidence, nonce: bytes = NONCE, policy=None) -> QuoteResult:
    key = attestation_key_from_public(tpm.ak_public())
    return PythonQuoteVerifier().verify_batch([QuoteCheck(evidence, key, nonce, policy)])[0]


def loaded_objects(tcti: str) -> list[int]:
    with ESAPI(tcti) as esys:
        _, data = esys.get_capability(TPM2_CAP.HANDLES, TRANSIENT_FIRST, 64)
        return [int(handle) for handle in data.data.handles]


def flip_bit(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def test_an_honest_quote_verifies_with_the_reference_verifier(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    assert list(evidence.pcr_values) == BOOT_PCRS
    assert evidence.pcr_values == tpm.pcr_read(BOOT_PCRS)
    assert verify(tpm, evidence).ok


def test_the_ak_is_a_restricted_signing_key_the_enrolment_accepts(tpm):
    assert attestation_key_problems(parse_public(tpm.ak_public())) == []


def test_the_ek_is_the_tcg_profile_rsa_2048_ek(tpm):
    area = parse_public(tpm.ek_public())
    assert (area.key_bits, area.auth_policy) == (2048, EK_AUTH_POLICY)


def test_a_flipped_bit_in_the_quote_is_a_bad_signature(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    tampered = dataclasses.replace(evidence, quote=flip_bit(evidence.quote, len(evidence.quote) - 1))
    assert verify(tpm, tampered).reason is Reason.BAD_SIGNATURE


def test_a_flipped_bit_in_the_signature_is_a_bad_signature(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    tampered = dataclasses.replace(
        evidence, signature=flip_bit(evidence.signature, len(evidence.signature) - 1)
    )
    assert verify(tpm, tampered).reason is Reason.BAD_SIGNATURE


def test_a_changed_pcr_value_does_not_match_the_quoted_digest(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    values = {pcr: (b"\x11" * 32 if pcr == 7 else value) for pcr, value in evidence.pcr_values.items()}
    assert verify(tpm, dataclasses.replace(evidence, pcr_values=values)).reason is Reason.PCR_DIGEST_MISMATCH


def test_a_quote_over_another_nonce_is_a_nonce_mismatch(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    assert verify(tpm, evidence, nonce=b"\x00" * len(NONCE)).reason is Reason.NONCE_MISMATCH


def test_values_other_than_the_reference_policy_are_a_policy_mismatch_naming_the_pcr(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS)
    policy = dict(evidence.pcr_values) | {7: b"\xee" * 32}
    result = verify(tpm, evidence, policy=policy)
    assert (result.reason, result.mismatched_pcrs) == (Reason.POLICY_MISMATCH, (7,))


def test_an_extend_is_quoted_as_sha256_of_the_old_value_and_the_digest(tpm):
    [old] = tpm.pcr_read([DEBUG_PCR]).values()
    digest = hashlib.sha256(b"firmware measurement").digest()
    tpm.pcr_extend(DEBUG_PCR, digest)
    evidence = tpm.quote(NONCE, [DEBUG_PCR])
    assert evidence.pcr_values == {DEBUG_PCR: hashlib.sha256(old + digest).digest()}
    assert verify(tpm, evidence).ok


def test_a_quote_of_all_24_pcrs_verifies_although_pcr_read_returns_8_at_a_time(tpm):
    evidence = tpm.quote(NONCE, reversed(range(24)))
    assert list(evidence.pcr_values) == list(range(24))
    assert verify(tpm, evidence).ok


def test_a_quote_over_the_sha1_bank_verifies(tpm):
    evidence = tpm.quote(NONCE, BOOT_PCRS, HashAlg.SHA1)
    assert all(len(value) == 20 for value in evidence.pcr_values.values())
    assert verify(tpm, evidence).ok


def test_activate_credential_recovers_the_secret_made_for_our_ek_and_ak(tpm):
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), tpm.ak_name, b"s" * 32)
    assert tpm.activate_credential(blob, encrypted) == b"s" * 32


def test_a_credential_bound_to_another_ak_name_does_not_activate(tpm):
    other_name = tpm.ak_name[:2] + hashlib.sha256(b"some other key").digest()
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), other_name, b"s" * 32)
    with pytest.raises(ActivationFailed):
        tpm.activate_credential(blob, encrypted)


def test_a_credential_made_for_another_tpms_ek_does_not_activate(start_swtpm, tpm):
    with PytssTpm(start_swtpm().tcti) as other:
        blob, encrypted = PytssCredentialChallenger().make_credential(
            other.ek_public(), tpm.ak_name, b"s" * 32
        )
    with pytest.raises(ActivationFailed):
        tpm.activate_credential(blob, encrypted)


def test_the_ak_saved_in_the_state_dir_is_the_same_key_after_a_restart(swtpm_tcti, tmp_path):
    with PytssTpm(swtpm_tcti, state_dir=tmp_path) as first:
        enrolled = first.ak_public()
    with PytssTpm(swtpm_tcti, state_dir=tmp_path) as second:
        assert second.ak_public() == enrolled
        assert verify(second, second.quote(NONCE, BOOT_PCRS)).ok


def test_an_ak_saved_for_another_tpm_is_refused_with_a_clear_error(start_swtpm, swtpm_tcti, tmp_path):
    with PytssTpm(swtpm_tcti, state_dir=tmp_path) as first:
        first.ak_public()
    other = start_swtpm().tcti
    with pytest.raises(TpmError, match="remove the state dir"):
        PytssTpm(other, state_dir=tmp_path).ak_public()
    assert loaded_objects(other) == []


def test_closing_leaves_no_object_loaded_in_a_tpm_without_a_resource_manager(start_swtpm):
    tcti = start_swtpm().tcti
    with PytssTpm(tcti, ak="rsapss") as tpm:
        blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), tpm.ak_name, b"s")
        tpm.activate_credential(blob, encrypted)
        assert len(loaded_objects(tcti)) == 1  # only the AK stays loaded between calls
    assert loaded_objects(tcti) == []


def test_without_a_state_dir_every_start_makes_a_new_ak_under_the_same_ek(swtpm_tcti):
    with PytssTpm(swtpm_tcti) as first:
        name, ek = first.ak_name, first.ek_public()
    with PytssTpm(swtpm_tcti) as second:
        assert (second.ak_name != name, second.ek_public() == ek) == (True, True)


def test_a_persisted_ek_handle_is_used_instead_of_re_creating_the_ek(start_swtpm):
    tcti = start_swtpm().tcti
    with ESAPI(tcti) as esys:  # what provisioning (or tpm2_createek -c 0x81010001) leaves behind
        _, template = ek_template(esys)
        transient, public, *_ = esys.create_primary(None, template, ESYS_TR.ENDORSEMENT)
        esys.evict_control(ESYS_TR.OWNER, transient, PERSISTENT_EK)
        esys.flush_context(transient)
    with PytssTpm(tcti, ek_handle=PERSISTENT_EK) as tpm:
        assert tpm.ek_public() == public.marshal()
        blob, encrypted = PytssCredentialChallenger().make_credential(
            public.marshal(), tpm.ak_name, b"k" * 16
        )
        assert tpm.activate_credential(blob, encrypted) == b"k" * 16


def test_a_nonce_longer_than_tpm2b_data_is_refused_before_the_tpm(tpm):
    with pytest.raises(ValueError):
        tpm.quote(b"n" * 65, BOOT_PCRS)
