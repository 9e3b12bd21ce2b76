"""The reference parser: both formats, what is extended and what is not, and every fault with its offset."""

from __future__ import annotations

import hashlib
from struct import pack

import pytest

from domain.attestation.evidence import HashAlg
from domain.measured_boot.eventlog import EventLogError, LogFault, parse_log
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.replay import replay_bytes
from domain.measured_boot.tcg import MAX_EVENT_DATA, MAX_EVENTS, MAX_LOG_BYTES, EventType

SHA1, SHA256, SHA384, SHA512 = (int(a) for a in HashAlg)
SPEC_END = 32 + 28 + 4 + 1  # Spec ID record of a one-bank log


def fault(data: bytes) -> tuple[LogFault, int]:
    with pytest.raises(EventLogError) as caught:
        parse_log(data)
    return caught.value.fault, caught.value.offset


def extend(value: bytes, digest: bytes, alg: str) -> bytes:
    return hashlib.new(alg, value + digest).digest()


def test_a_crypto_agile_log_replays_every_bank_it_carries():
    log = LogBuilder((SHA256, SHA1, SHA384, SHA512))
    log.event(0, EventType.EV_S_CRTM_VERSION, b"v1")
    log.event(7, EventType.EV_SEPARATOR, bytes(4))
    replayed = replay_bytes(log.build())
    for alg in ("sha1", "sha256", "sha384", "sha512"):
        bank = int(HashAlg[alg.upper()])
        size = HashAlg(bank).digest_size
        assert replayed.value(bank, 0) == extend(bytes(size), hashlib.new(alg, b"v1").digest(), alg)
        assert replayed.value(bank, 7) == extend(bytes(size), hashlib.new(alg, bytes(4)).digest(), alg)
        assert replayed.touched[bank] == 1 | 1 << 7


def test_events_extend_only_the_banks_they_carry_digests_for():
    log = LogBuilder((SHA1, SHA256))
    log.event(4, EventType.EV_EFI_ACTION, b"x", {SHA256: bytes(32)})
    replayed = replay_bytes(log.build())
    assert replayed.touched == {SHA1: 0, SHA256: 1 << 4}
    assert replayed.as_dict() == {"sha1": {}, "sha256": {"4": extend(bytes(32), bytes(32), "sha256").hex()}}


def test_no_action_records_are_not_extended_and_startup_locality_sets_pcr0():
    log = LogBuilder((SHA256,))
    log.startup_locality(3)
    log.no_action(b"SP800-155 Event\0" + bytes(8), pcr=5)
    log.event(0, EventType.EV_S_CRTM_VERSION, b"v")
    replayed = replay_bytes(log.build())
    start = bytes(31) + b"\x03"
    assert replayed.value(SHA256, 0) == extend(start, hashlib.sha256(b"v").digest(), "sha256")
    assert replayed.touched[SHA256] == 1  # PCR 5 untouched by the EV_NO_ACTION record
    assert parse_log(log.build()).startup_locality == 3


def test_a_log_without_a_spec_id_event_is_sha1_only_legacy():
    log = LogBuilder(legacy=True)
    log.event(0, EventType.EV_S_CRTM_VERSION, b"v")
    log.event(7, EventType.EV_SEPARATOR, bytes(4))
    parsed = parse_log(log.build())
    assert (parsed.crypto_agile, parsed.banks, len(parsed.events)) == (False, (SHA1,), 2)
    assert replay_bytes(log.build()).value(SHA1, 7) == extend(
        bytes(20), hashlib.sha1(bytes(4)).digest(), "sha1"
    )


def test_untouched_pcrs_hold_their_reset_values():
    replayed = replay_bytes(LogBuilder((SHA256,)).build())
    assert replayed.expected(SHA256, 0) == bytes(32) and replayed.expected(SHA256, 17) == b"\xff" * 32


def spec_log(*entries: tuple[int, int], count: int | None = None, vendor: bytes = b"\0") -> bytes:
    body = b"Spec ID Event03\0" + pack("<IBBBBI", 0, 0, 2, 0, 2, len(entries) if count is None else count)
    body += b"".join(pack("<HH", alg, size) for alg, size in entries) + vendor
    return pack("<II20sI", 0, EventType.EV_NO_ACTION, bytes(20), len(body)) + body


def record(
    pcr: int, kind: int, digests: list[tuple[int, bytes]], data: bytes = b"", count: int | None = None
) -> bytes:
    out = pack("<III", pcr, kind, len(digests) if count is None else count)
    return out + b"".join(pack("<H", alg) + d for alg, d in digests) + pack("<I", len(data)) + data


GOOD = record(0, 8, [(SHA256, bytes(32))], b"v")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (LogFault.TRUNCATED, 0)),
        (spec_log((SHA256, 32))[:40], (LogFault.TRUNCATED, 32)),
        (spec_log((SHA256, 32)) + GOOD[:11], (LogFault.TRUNCATED, SPEC_END)),
        (spec_log((SHA256, 32)) + GOOD[:30], (LogFault.TRUNCATED, SPEC_END + 14)),
        (spec_log((SHA256, 32)) + GOOD[:-1], (LogFault.TRUNCATED, SPEC_END + 50)),
        (spec_log((0x0012, 32)), (LogFault.UNKNOWN_ALGORITHM, 60)),
        (spec_log((SHA256, 20)), (LogFault.BAD_SPEC_ID, 62)),
        (spec_log((SHA256, 32), (SHA256, 32)), (LogFault.BAD_SPEC_ID, 64)),
        (spec_log(count=0), (LogFault.BAD_SPEC_ID, 56)),
        (spec_log((SHA256, 32), count=1000), (LogFault.BAD_SPEC_ID, 56)),
        (spec_log((SHA256, 32), vendor=b"\x05"), (LogFault.BAD_SPEC_ID, 64)),
        (
            spec_log((SHA256, 32)) + record(0, 8, [(SHA1, bytes(20))]),
            (LogFault.UNKNOWN_ALGORITHM, SPEC_END + 12),
        ),
        (
            spec_log((SHA256, 32)) + record(0, 8, [(SHA256, bytes(32))], count=2),
            (LogFault.DIGEST_COUNT, SPEC_END + 8),
        ),
        (spec_log((SHA256, 32)) + record(0, 8, [], count=0), (LogFault.DIGEST_COUNT, SPEC_END + 8)),
        (
            spec_log((SHA1, 20), (SHA256, 32)) + record(0, 8, [(SHA1, bytes(20)), (SHA1, bytes(20))]),
            (LogFault.DIGEST_COUNT, 32 + 28 + 8 + 1 + 34),
        ),
        (spec_log((SHA256, 32)) + record(24, 8, [(SHA256, bytes(32))]), (LogFault.BAD_PCR_INDEX, SPEC_END)),
        (
            spec_log((SHA256, 32))
            + record(0, 8, [(SHA256, bytes(32))])[:-4]
            + pack("<I", MAX_EVENT_DATA + 1),
            (LogFault.EVENT_TOO_LARGE, SPEC_END + 46),
        ),
        (bytes(MAX_LOG_BYTES + 1), (LogFault.LOG_TOO_LARGE, MAX_LOG_BYTES)),
    ],
)
def test_unreadable_logs_name_the_fault_and_its_byte_offset(data, expected):
    assert fault(data) == expected


def test_absurd_event_counts_stop_at_the_limit():
    one = pack("<II20sI", 1, EventType.EV_POST_CODE, bytes(20), 0)
    assert fault(one * (MAX_EVENTS + 1)) == (LogFault.TOO_MANY_EVENTS, 32 * MAX_EVENTS)
    assert len(parse_log(one * MAX_EVENTS).events) == MAX_EVENTS


def test_startup_locality_must_come_once_before_pcr0_is_extended_and_be_a_locality():
    late = LogBuilder((SHA256,))
    late.event(0, EventType.EV_S_CRTM_VERSION, b"v")
    late.startup_locality(3)
    assert fault(late.build())[0] is LogFault.BAD_LOCALITY
    twice = LogBuilder((SHA256,))
    twice.startup_locality(3)
    twice.startup_locality(3)
    assert fault(twice.build()) == (LogFault.BAD_LOCALITY, SPEC_END + 67)  # the second record
    wrong = LogBuilder((SHA256,))
    wrong.startup_locality(9)
    assert fault(wrong.build()) == (LogFault.BAD_LOCALITY, SPEC_END + 50 + 16)  # its locality byte
