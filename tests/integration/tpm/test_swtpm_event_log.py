"""A boot event log replayed into a real TPM (swtpm) by PCR extends, then quoted: the quote with its log
verifies and passes the event policy learned from it; a tampered log or a swapped bootloader does not."""

from __future__ import annotations

import pytest

from adapters.measured_boot.native_replay import NativeEventLogReplayer
from adapters.tpm.pytss_tpm import PytssTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import HashAlg, QuoteCheck, Reason
from domain.attestation.policy import PolicyScope
from domain.measured_boot.check import check_log
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.policy import learn
from entrypoints.agent.simulated import SWAPPED_BOOTLOADER, device_boot_log

pytestmark = pytest.mark.swtpm

NONCE = bytes.fromhex("0b007" + "0" * 27)
BOOT_PCRS = list(range(8))
MODEL, FIRMWARE = "Atlas 500", "2.1.0"
SHA256 = HashAlg.SHA256


def boot(tpm: PytssTpm, log: bytes) -> None:
    """What firmware does: extend every measured event's SHA-256 digest into its PCR."""
    for event in parse_log(log).events:
        if event.extends:
            tpm.pcr_extend(event.pcr, event.digests[int(SHA256)], SHA256)


@pytest.fixture
def booted(start_swtpm, tmp_path):
    """A fresh swtpm (PCRs at reset) booted from the simulated UEFI log, which the TPM adapter sends."""
    log = device_boot_log(MODEL, FIRMWARE)
    path = tmp_path / "binary_bios_measurements"
    path.write_bytes(log)
    with PytssTpm(start_swtpm().tcti, ak="ecc", event_log_path=path) as tpm:
        boot(tpm, log)
        yield tpm, log, path


def judge(tpm: PytssTpm, evidence, policy=None):
    key = attestation_key_from_public(tpm.ak_public())
    assert PythonQuoteVerifier().verify_batch([QuoteCheck(evidence, key, NONCE)])[0].ok
    [replayed] = NativeEventLogReplayer(threads=1).replay_batch([evidence.event_log])
    return check_log(evidence.event_log, replayed, evidence.pcr_values, evidence.hash_alg, policy)


def test_a_real_tpm_quote_with_its_log_replays_and_passes_the_learned_policy(booted):
    tpm, log, _ = booted
    evidence = tpm.quote(NONCE, BOOT_PCRS, SHA256)
    assert evidence.event_log == log
    policy = learn(PolicyScope.for_device("swtpm"), parse_log(log), SHA256)
    assert judge(tpm, evidence, policy).ok


def test_a_tampered_log_no_longer_replays_to_the_quoted_pcrs(booted):
    tpm, log, path = booted
    path.write_bytes(device_boot_log(MODEL, FIRMWARE, bootloader=SWAPPED_BOOTLOADER))  # the log lies
    verdict = judge(tpm, tpm.quote(NONCE, BOOT_PCRS, SHA256))
    assert (verdict.reason, verdict.mismatched_pcrs) == (Reason.EVENT_LOG_MISMATCH, (4,))
    path.write_bytes(log[:-3])
    assert judge(tpm, tpm.quote(NONCE, BOOT_PCRS, SHA256)).reason is Reason.MALFORMED_EVENT_LOG


def test_a_swapped_bootloader_logged_honestly_fails_the_event_policy(start_swtpm, tmp_path):
    good = device_boot_log(MODEL, FIRMWARE)
    swapped = device_boot_log(MODEL, FIRMWARE, bootloader=SWAPPED_BOOTLOADER)
    path = tmp_path / "binary_bios_measurements"
    path.write_bytes(swapped)
    with PytssTpm(start_swtpm().tcti, ak="ecc", event_log_path=path) as tpm:
        boot(tpm, swapped)
        verdict = judge(
            tpm,
            tpm.quote(NONCE, BOOT_PCRS, SHA256),
            learn(PolicyScope.for_device("swtpm"), parse_log(good), SHA256),
        )
    assert verdict.reason is Reason.EVENT_POLICY_MISMATCH
    assert [(f.rule, f.pcr) for f in verdict.failed_events] == [("boot_applications", 4)]
