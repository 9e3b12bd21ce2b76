"""Parser of the TCG PC Client firmware event log (``binary_bios_measurements``): the reference.

Two formats. A crypto-agile log starts with a legacy SHA-1 record (EV_NO_ACTION, PCR 0) holding the
Spec ID event, which lists the banks and their digest sizes; every later record is a TCG_PCR_EVENT2
with one digest per bank it extends. A log without that first record is SHA-1 only: legacy records
throughout. All integers are little-endian.

Every read is bounds-checked; the first fault raises EventLogError with a stable code and the byte
offset of the field at fault. native/src/eventlog.c implements exactly these rules, in the same order,
so both give the same code and offset for every input (tests/integration/native/test_eventlog_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from struct import Struct

from domain.attestation.evidence import HashAlg
from domain.measured_boot.tcg import (
    MAX_EVENT_DATA,
    MAX_EVENTS,
    MAX_LOG_BYTES,
    PCR_COUNT,
    SPEC_ID_SIGNATURE,
    STARTUP_LOCALITY_SIGNATURE,
    EventType,
)

MAX_BANKS = len(HashAlg)
MAX_LOCALITY = 4
_LEGACY_HEADER = Struct("<II20sI")  # pcrIndex, eventType, SHA-1 digest, eventSize
_AGILE_HEADER = Struct("<III")  # pcrIndex, eventType, digest count
_U32 = Struct("<I")
_ALG = Struct("<HH")  # Spec ID: algorithmId, digestSize
_SPEC_FIXED = 28  # signature, platformClass, 4 version bytes, numberOfAlgorithms
_DIGEST_SIZES = {int(alg): alg.digest_size for alg in HashAlg}


class LogFault(IntEnum):
    """Why a log is unreadable; the numbers are the C module's EF_EL_* codes."""

    TRUNCATED = 1
    LOG_TOO_LARGE = 2
    TOO_MANY_EVENTS = 3
    EVENT_TOO_LARGE = 4
    BAD_SPEC_ID = 5
    UNKNOWN_ALGORITHM = 6
    DIGEST_COUNT = 7
    BAD_PCR_INDEX = 8
    BAD_LOCALITY = 9


class EventLogError(ValueError):
    """An unreadable log: ``fault`` says why, ``offset`` where (bytes from the start of the log)."""

    def __init__(self, fault: LogFault, offset: int) -> None:
        super().__init__(f"{fault.name.lower()} at byte {offset}")
        self.fault = fault
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Event:
    number: int  # position in the log, the Spec ID event being 0
    offset: int  # byte offset of the record
    pcr: int
    type: int
    digests: dict[int, bytes]  # TPM_ALG_ID -> digest, in record order
    data: bytes

    @property
    def extends(self) -> bool:
        return self.type != EventType.EV_NO_ACTION


@dataclass(frozen=True, slots=True)
class EventLog:
    banks: tuple[int, ...]  # TPM_ALG_IDs of the Spec ID event (SHA-1 alone for a legacy log)
    events: tuple[Event, ...]
    crypto_agile: bool
    startup_locality: int | None  # StartupLocality event: PCR 0 starts at this value


def parse_log(data: bytes) -> EventLog:
    """The log's events, or EventLogError for the first fault."""
    data = bytes(data)
    if len(data) > MAX_LOG_BYTES:
        raise EventLogError(LogFault.LOG_TOO_LARGE, MAX_LOG_BYTES)
    first = _legacy_event(data, 0, 0)
    banks = _spec_id_banks(first, data)
    if banks is None:
        return _parse_legacy(data, first)
    return _parse_agile(data, first, banks)


def _parse_legacy(data: bytes, first: tuple[Event, int]) -> EventLog:
    events: list[Event] = []
    state = _LocalityState()
    event, pos = first
    while True:
        state.see(event, event.offset + 32)
        events.append(event)
        if pos == len(data):
            return EventLog((int(HashAlg.SHA1),), tuple(events), False, state.locality)
        event, pos = _legacy_event(data, pos, len(events))


def _parse_agile(data: bytes, first: tuple[Event, int], banks: tuple[int, ...]) -> EventLog:
    sizes = {alg: _DIGEST_SIZES[alg] for alg in banks}
    events = [first[0]]
    state = _LocalityState()
    pos = first[1]
    while pos < len(data):
        event, data_at, pos = _agile_event(data, pos, len(events), sizes)
        state.see(event, data_at)
        events.append(event)
    return EventLog(banks, tuple(events), True, state.locality)


def _legacy_event(data: bytes, pos: int, number: int) -> tuple[Event, int]:
    if number >= MAX_EVENTS:
        raise EventLogError(LogFault.TOO_MANY_EVENTS, pos)
    if pos + 32 > len(data):
        raise EventLogError(LogFault.TRUNCATED, pos)
    pcr, kind, digest, size = _LEGACY_HEADER.unpack_from(data, pos)
    if pcr >= PCR_COUNT:
        raise EventLogError(LogFault.BAD_PCR_INDEX, pos)
    if size > MAX_EVENT_DATA:
        raise EventLogError(LogFault.EVENT_TOO_LARGE, pos + 28)
    end = pos + 32 + size
    if end > len(data):
        raise EventLogError(LogFault.TRUNCATED, pos + 32)
    return Event(number, pos, pcr, kind, {int(HashAlg.SHA1): digest}, data[pos + 32 : end]), end


def _agile_event(data: bytes, pos: int, number: int, sizes: dict[int, int]) -> tuple[Event, int, int]:
    if number >= MAX_EVENTS:
        raise EventLogError(LogFault.TOO_MANY_EVENTS, pos)
    if pos + 12 > len(data):
        raise EventLogError(LogFault.TRUNCATED, pos)
    pcr, kind, count = _AGILE_HEADER.unpack_from(data, pos)
    if pcr >= PCR_COUNT:
        raise EventLogError(LogFault.BAD_PCR_INDEX, pos)
    if count == 0 or count > len(sizes):
        raise EventLogError(LogFault.DIGEST_COUNT, pos + 8)
    digests: dict[int, bytes] = {}
    at = pos + 12
    for _ in range(count):
        if at + 2 > len(data):
            raise EventLogError(LogFault.TRUNCATED, at)
        alg = data[at] | data[at + 1] << 8
        size = sizes.get(alg)
        if size is None:
            raise EventLogError(LogFault.UNKNOWN_ALGORITHM, at)
        if alg in digests:
            raise EventLogError(LogFault.DIGEST_COUNT, at)
        if at + 2 + size > len(data):
            raise EventLogError(LogFault.TRUNCATED, at + 2)
        digests[alg] = data[at + 2 : at + 2 + size]
        at += 2 + size
    if at + 4 > len(data):
        raise EventLogError(LogFault.TRUNCATED, at)
    (size,) = _U32.unpack_from(data, at)
    if size > MAX_EVENT_DATA:
        raise EventLogError(LogFault.EVENT_TOO_LARGE, at)
    end = at + 4 + size
    if end > len(data):
        raise EventLogError(LogFault.TRUNCATED, at + 4)
    return Event(number, pos, pcr, kind, digests, data[at + 4 : end]), at + 4, end


def _spec_id_banks(first: tuple[Event, int], data: bytes) -> tuple[int, ...] | None:
    """The banks of a Spec ID event, or None when the first record is not one (a legacy log)."""
    event, end = first
    if event.type != EventType.EV_NO_ACTION or event.pcr != 0 or event.data[:16] != SPEC_ID_SIGNATURE:
        return None
    base = event.offset + 32
    if len(event.data) < _SPEC_FIXED:
        raise EventLogError(LogFault.BAD_SPEC_ID, base)
    (count,) = _U32.unpack_from(data, base + 24)
    if count == 0 or count > MAX_BANKS:
        raise EventLogError(LogFault.BAD_SPEC_ID, base + 24)
    banks: list[int] = []
    at = base + _SPEC_FIXED
    for _ in range(count):
        if at + 4 > end:
            raise EventLogError(LogFault.BAD_SPEC_ID, at)
        alg, size = _ALG.unpack_from(data, at)
        if alg not in _DIGEST_SIZES:
            raise EventLogError(LogFault.UNKNOWN_ALGORITHM, at)
        if alg in banks:
            raise EventLogError(LogFault.BAD_SPEC_ID, at)
        if size != _DIGEST_SIZES[alg]:
            raise EventLogError(LogFault.BAD_SPEC_ID, at + 2)
        banks.append(alg)
        at += 4
    if at + 1 > end or at + 1 + data[at] != end:
        raise EventLogError(LogFault.BAD_SPEC_ID, at)  # vendorInfoSize must end the event exactly
    return tuple(banks)


class _LocalityState:
    """The StartupLocality event: once, before anything extends PCR 0, one byte 0..4 after the signature."""

    __slots__ = ("locality", "pcr0_extended")

    def __init__(self) -> None:
        self.locality: int | None = None
        self.pcr0_extended = False

    def see(self, event: Event, data_at: int) -> None:
        if event.type != EventType.EV_NO_ACTION:
            self.pcr0_extended = self.pcr0_extended or event.pcr == 0
            return
        if event.data[:16] != STARTUP_LOCALITY_SIGNATURE:
            return
        if event.pcr != 0 or self.locality is not None or self.pcr0_extended:
            raise EventLogError(LogFault.BAD_LOCALITY, event.offset)
        if len(event.data) != 17:
            raise EventLogError(LogFault.BAD_LOCALITY, data_at)
        if event.data[16] > MAX_LOCALITY:
            raise EventLogError(LogFault.BAD_LOCALITY, data_at + 16)
        self.locality = event.data[16]
