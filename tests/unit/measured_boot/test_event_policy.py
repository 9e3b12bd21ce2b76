"""Event policies judge a replayed log: learned from a good boot, they name each failed rule and event."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.tpm.uefi_boot_log import BootConfig, boot_log
from domain.attestation.evidence import HashAlg, Reason
from domain.attestation.policy import PolicyScope
from domain.errors import ValidationFailed
from domain.measured_boot.check import check_log
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.policy import EventPolicy, evaluate, learn
from domain.measured_boot.replay import replay_bytes
from domain.measured_boot.tcg import EventType
from domain.measured_boot.uefi import EFI_GLOBAL_VARIABLE, encode_variable

SCOPE = PolicyScope.for_model("atlas-500", "1.2.0")
GOOD = BootConfig("atlas-500", "1.2.0")
ALL_PCRS = frozenset(range(8))
SHA256 = HashAlg.SHA256


def judged(config: BootConfig, policy: EventPolicy, quoted=ALL_PCRS):
    return evaluate(policy, parse_log(boot_log(config)), SHA256, quoted)


def test_a_policy_learned_from_a_good_boot_passes_that_boot_and_its_twins():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    assert set(policy.rules) == {
        "boot_applications",
        "firmware_blobs",
        "option_roms",
        "secure_boot",
        "pk",
        "kek",
        "db",
        "dbx",
        "separators",
    }
    assert len(policy.boot_applications) == 2 and policy.secure_boot is True
    assert judged(GOOD, policy) == []
    assert policy.required_pcrs == tuple(range(8))


def test_a_swapped_bootloader_fails_naming_the_event_expected_and_seen():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    [failure] = judged(dataclasses.replace(GOOD, bootloader="grub-evil"), policy)
    assert (failure.rule, failure.pcr, failure.type) == (
        "boot_applications",
        4,
        "EV_EFI_BOOT_SERVICES_APPLICATION",
    )
    assert failure.event == 24 and failure.seen not in failure.expected
    assert set(failure.expected) == policy.boot_applications
    assert failure.as_dict()["event"] == 24


def test_several_allowed_values_per_rule_let_a_new_kernel_pass():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    newer = learn(SCOPE, parse_log(boot_log(dataclasses.replace(GOOD, kernel="vmlinuz-6.6"))), SHA256)
    both = dataclasses.replace(policy, boot_applications=policy.boot_applications | newer.boot_applications)
    assert judged(dataclasses.replace(GOOD, kernel="vmlinuz-6.6"), both) == []


def test_secure_boot_off_and_changed_key_databases_fail_their_rules():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    off = judged(dataclasses.replace(GOOD, secure_boot=False), policy)
    assert [(f.rule, f.seen) for f in off if f.rule == "secure_boot"] == [("secure_boot", "disabled")]
    other_model = judged(dataclasses.replace(GOOD, model="hi3559"), policy)
    assert {"pk", "kek", "db", "firmware_blobs"} <= {f.rule for f in other_model}


def test_data_that_does_not_hash_to_its_digest_is_not_believed():
    """The advisory's attack: the replay matches (digests are honest) but the data claims Secure Boot on."""
    log = LogBuilder((SHA256,))
    claims_on = encode_variable(EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x01")
    log.event(
        7,
        EventType.EV_EFI_VARIABLE_DRIVER_CONFIG,
        claims_on,
        measured=encode_variable(EFI_GLOBAL_VARIABLE, "SecureBoot", b"\x00"),
    )
    [failure] = evaluate(EventPolicy(SCOPE, secure_boot=True), parse_log(log.build()), SHA256, ALL_PCRS)
    assert (failure.rule, failure.seen, failure.event) == ("secure_boot", "data does not match its digest", 1)
    with pytest.raises(ValidationFailed):  # nothing in it can be learned
        learn(SCOPE, parse_log(log.build()), SHA256)


def test_rules_over_pcrs_the_quote_did_not_cover_fail():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    failures = judged(GOOD, policy, quoted=frozenset({0, 7}))
    assert {f.rule for f in failures} == {"boot_applications", "option_roms", "separators"}
    assert all("not quoted" in f.seen for f in failures)


def test_missing_separators_are_named_per_pcr():
    log = LogBuilder((SHA256,))
    log.event(4, EventType.EV_EFI_BOOT_SERVICES_APPLICATION, b"", measured=b"app")
    failures = evaluate(EventPolicy(SCOPE, separators=True), parse_log(log.build()), SHA256, ALL_PCRS)
    assert [(f.pcr, f.seen) for f in failures] == [(pcr, "no separator") for pcr in range(8)]


def test_policy_documents_round_trip_and_bad_ones_are_refused():
    policy = learn(SCOPE, parse_log(boot_log(GOOD)), SHA256)
    assert EventPolicy.from_dict(SCOPE, policy.as_dict()) == policy
    for bad in (
        {},
        {"secure_boot": "yes"},
        {"boot_applications": []},
        {"boot_applications": ["zz" * 32]},
        {"bootloader": ["00" * 32]},
        {"db": "00" * 32},
    ):
        with pytest.raises(ValidationFailed):
            EventPolicy.from_dict(SCOPE, bad)


def test_check_log_orders_malformed_then_mismatch_then_policy():
    data = boot_log(GOOD)
    replayed = replay_bytes(data)
    quoted = {pcr: replayed.expected(int(SHA256), pcr) for pcr in range(8)}
    policy = learn(SCOPE, parse_log(data), SHA256)
    assert check_log(data, replayed, quoted, SHA256, policy).ok
    from domain.measured_boot.eventlog import EventLogError, LogFault

    broken = check_log(data[:100], EventLogError(LogFault.TRUNCATED, 83), quoted, SHA256, policy)
    assert (broken.reason, broken.error) == (Reason.MALFORMED_EVENT_LOG, "truncated at byte 83")
    lying = check_log(data, replayed, {**quoted, 4: bytes(32)}, SHA256, policy)
    assert (lying.reason, lying.mismatched_pcrs) == (Reason.EVENT_LOG_MISMATCH, (4,))
    assert check_log(data, replayed, {**quoted, 9: bytes(32)}, SHA256, None).ok  # untouched: reset value
    swapped = boot_log(dataclasses.replace(GOOD, bootloader="grub-evil"))
    other = replay_bytes(swapped)
    verdict = check_log(swapped, other, {p: other.expected(int(SHA256), p) for p in range(8)}, SHA256, policy)
    assert (
        verdict.reason is Reason.EVENT_POLICY_MISMATCH
        and verdict.failed_events[0].rule == "boot_applications"
    )
    assert check_log(data, replayed, quoted, HashAlg.SHA384, None).reason is Reason.EVENT_LOG_MISMATCH
