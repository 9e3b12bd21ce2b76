"""The simulated TPM: deterministic keys, credential activation compatible with tpm2-pytss, lifecycle."""

from __future__ import annotations

import time

import pytest

from adapters.tpm.activation import ActivationFailed
from adapters.tpm.credential import PytssCredentialChallenger
from adapters.tpm.fleet import build_fleet
from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.enrolment import attestation_key_problems
from domain.attestation.evidence import HashAlg, KeyType, SigScheme
from domain.attestation.tpm_wire import parse_attest, parse_public, tpm_name

SECRET = b"s" * 32


def test_the_same_seed_gives_the_same_keys_and_another_seed_different_ones():
    assert SimulatedTpm("a").ak_public() == SimulatedTpm("a").ak_public()
    assert SimulatedTpm("a").ak_public() != SimulatedTpm("b").ak_public()
    assert SimulatedTpm("a", ak="rsassa").ak_public() == SimulatedTpm("a", ak="rsassa").ak_public()


@pytest.mark.parametrize("algorithm", list(AkAlgorithm))
def test_every_ak_kind_passes_the_enrolment_attribute_check(algorithm):
    tpm = SimulatedTpm("sim", ak=algorithm)
    assert attestation_key_problems(parse_public(tpm.ak_public())) == []
    key = attestation_key_from_public(tpm.ak_public())
    assert key.key_type is (KeyType.ECC if algorithm is AkAlgorithm.ECC else KeyType.RSA)
    schemes = {"ecc": SigScheme.ECDSA, "rsassa": SigScheme.RSASSA, "rsapss": SigScheme.RSAPSS}
    assert key.scheme is schemes[algorithm]
    assert key.name == tpm.ak_name == tpm_name(tpm.ak_public())


def test_activate_credential_recovers_a_secret_made_by_tpm2_pytss_make_credential():
    tpm = SimulatedTpm("sim")
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), tpm.ak_name, SECRET)
    assert tpm.activate_credential(blob, encrypted) == SECRET


def test_activation_fails_for_a_credential_bound_to_another_ak_name():
    tpm = SimulatedTpm("sim")
    other_name = SimulatedTpm("other").ak_name
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), other_name, SECRET)
    with pytest.raises(ActivationFailed, match="integrity"):
        tpm.activate_credential(blob, encrypted)


def test_activation_fails_on_a_tpm_with_another_ek():
    tpm = SimulatedTpm("sim")
    stranger = SimulatedTpm("sim", rsa_seed="another-ek")
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), tpm.ak_name, SECRET)
    with pytest.raises(ActivationFailed):
        stranger.activate_credential(blob, encrypted)


def test_a_tampered_credential_blob_fails_activation():
    tpm = SimulatedTpm("sim")
    blob, encrypted = PytssCredentialChallenger().make_credential(tpm.ek_public(), tpm.ak_name, SECRET)
    with pytest.raises(ActivationFailed):
        tpm.activate_credential(blob[:-1] + bytes([blob[-1] ^ 1]), encrypted)


def test_a_reboot_bumps_reset_count_and_clears_pcrs_while_resume_keeps_them():
    tpm = SimulatedTpm("life")
    tpm.pcr_extend(0, b"\x01" * 32)
    extended = tpm.pcr_read([0])[0]
    tpm.resume()
    assert tpm.pcr_read([0])[0] == extended
    tpm.reboot()
    clock = parse_attest(tpm.quote(b"n" * 16, [0]).quote).clock
    assert (clock.reset_count, clock.restart_count) == (1, 0)
    assert tpm.pcr_read([0])[0] == bytes(32)


def test_quotes_carry_a_clock_that_moves_forward():
    tpm = SimulatedTpm("life")
    first = parse_attest(tpm.quote(b"n" * 16, [0]).quote).clock.clock
    assert parse_attest(tpm.quote(b"n" * 16, [0]).quote).clock.clock > first


def test_extends_and_quotes_reject_what_a_tpm_would():
    tpm = SimulatedTpm("life")
    with pytest.raises(ValueError):
        tpm.pcr_extend(24, bytes(32))
    with pytest.raises(ValueError):
        tpm.pcr_extend(0, bytes(20), HashAlg.SHA256)
    with pytest.raises(ValueError):
        tpm.quote(b"n" * 65, [0])
    with pytest.raises(ValueError):
        tpm.pcr_read([0], HashAlg.SHA384)


def test_a_fleet_of_a_thousand_ecc_devices_builds_in_seconds_with_distinct_aks():
    started = time.perf_counter()
    fleet = build_fleet(1000)
    assert time.perf_counter() - started < 5
    assert len({tpm.ak_name for tpm in fleet.values()}) == 1000
    assert list(fleet)[:2] == ["edge-0001", "edge-0002"]
