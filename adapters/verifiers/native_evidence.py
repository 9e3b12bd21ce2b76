"""Evidence lines decoded in C straight into the verifier's batch layout (native/src/evidence_scan.c).

A block of lines is one C call: fields found, base64 and hex decoded into the columns ef_verify_batch
reads, keys interned by their text. Python then touches only what is rare: each distinct ``ak_public``
(converted once per stream, by the same code as the reference decoder), the lines the C decoder leaves
to the reference one (``decode_slow``: escapes, event logs, anything odd or wrong), and a block's
verdicts as one buffer written by C. Both kinds of line are verified in the same round, so results,
reasons and line order are exactly the reference decoder's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

import msgspec
from native._edgefleet_native import ffi, lib

from adapters.evidence_jsonl import EvidenceLine, EvidenceLineError, key_of
from adapters.jsonl_reader import LineChunk
from adapters.verifiers.native_batch import REASONS, NativeQuoteVerifier, NativeVerifierError, unpack_results
from adapters.verifiers.native_keys import NativeKeyCache
from adapters.verifiers.native_pack import PackedBatch, Unpassable, key_fields
from domain.attestation.evidence import QuoteCheck, QuoteResult, Reason

SCANNER_KEYS = 16384 + 4096  # a scanner is replaced past 16,384 keys, and a block has at most 4,096 lines
SCANNER_BYTES = 32 << 20
RESTART_KEYS, RESTART_BYTES = 16384, 16 << 20

# status code -> reason name, for the verdicts C writes (code 0 is success)
_NAMES = [ffi.new("char[]", reason.value.encode()) if reason else ffi.NULL for reason in REASONS[:16]]
REASON_NAMES = ffi.new("char *[]", _NAMES)
_decode_text = msgspec.json.Decoder(str).decode


def scanner_fields() -> set[str]:
    """The fields the C decoder knows; it ignores any other, so they must be EvidenceLine's."""
    names, i = set(), 0
    while (name := lib.ef_scan_field(i)) != ffi.NULL:
        names.add(ffi.string(name).decode())
        i += 1
    return names


# a field added to EvidenceLine but not to the C decoder would be skipped there: decode in Python then
FIELDS_AGREE = scanner_fields() == set(EvidenceLine.__struct_fields__)


class Slow(Protocol):
    """What ``decode_slow`` makes of the lines left to it: their checks, in order."""

    checks: Sequence[QuoteCheck]


P = TypeVar("P", bound=Slow)


class _KeySlots:
    """One scanner and its key table: slot i is the i-th distinct ``ak_public`` text it saw. The table's
    arrays only grow (a running round reads slots below its own count), so rounds share them."""

    def __init__(self) -> None:
        scanner = lib.ef_scanner_new(SCANNER_KEYS, SCANNER_BYTES)
        if scanner == ffi.NULL:
            raise MemoryError("ef_scanner_new")
        self.scanner = ffi.gc(scanner, lib.ef_scanner_free)
        self.handles = ffi.new("ef_key *[]", SCANNER_KEYS)
        self.schemes = ffi.new("uint16_t[]", SCANNER_KEYS)
        self.hashes = ffi.new("uint16_t[]", SCANNER_KEYS)
        self.bad = ffi.new("uint8_t[]", SCANNER_KEYS)  # the text is not a usable key: the line goes slow
        self.alive: list[object] = []  # the handles the table points at
        self.count = 0
        self.any_bad = False

    @property
    def full(self) -> bool:
        return self.count > RESTART_KEYS or lib.ef_scanner_key_bytes(self.scanner) > RESTART_BYTES

    def convert_new(self, cache: NativeKeyCache) -> None:
        """Converts the slots entered since the last call, once each."""
        total, size = lib.ef_scanner_key_count(self.scanner), ffi.new("size_t *")
        for slot in range(self.count, total):
            text = ffi.unpack(ffi.cast("char *", lib.ef_scanner_key(self.scanner, slot, size)), size[0])
            try:
                spki, key_type, scheme, hash_alg = key_fields(key_of(_decode_text(text)))
            except (msgspec.DecodeError, EvidenceLineError, Unpassable):
                self.bad[slot], self.any_bad = 1, True
                continue
            handle = cache.handle(spki, key_type)
            self.alive.append(handle)
            self.handles[slot], self.schemes[slot], self.hashes[slot] = handle, scheme, hash_alg
        self.count = total


class ScannedBlock:
    """A block's lines as the C decoder laid them out, with their verdicts once verified."""

    def __init__(self, scan, slots: _KeySlots) -> None:
        self._scan, self._slots = scan, slots  # the block holds what its batch points into
        batch = scan.batch
        batch.keys, batch.key_scheme, batch.key_hash = slots.handles, slots.schemes, slots.hashes
        batch.key_count = slots.count
        self.lines = scan.lines
        self.part = ffi.addressof(scan, "batch"), ffi.addressof(scan, "out")
        self.fallback: list[int] = []
        if slots.any_bad:
            lib.ef_scan_demote(scan, slots.bad, slots.count)
        if scan.fallback_count:
            flags = ffi.buffer(scan.fallback, scan.lines)[:]
            self.fallback = [i for i, flag in enumerate(flags) if flag]
        self.counts: dict[Reason | None, int] = {}

    def finish(self) -> None:
        """Writes the verdicts of the decoded lines (after verification)."""
        rc = lib.ef_scan_verdicts(self._scan, REASON_NAMES, len(_NAMES))
        if rc != lib.EF_OK:
            raise NativeVerifierError(f"ef_scan_verdicts refused the block (code {rc})")
        counts = self._scan.status_count
        self.counts = {REASONS[code]: counts[code] for code in range(len(_NAMES)) if counts[code]}

    def output(self, slow_rows: Sequence[bytes]) -> bytes:
        """All the block's verdict lines in input order: ``slow_rows`` are those of the fallback lines."""
        scan = self._scan
        written = ffi.buffer(scan.verdicts, scan.verdicts_len)
        if not self.fallback:
            return written[:]
        parts: list[bytes] = []
        at = 0
        for line, row in zip(self.fallback, slow_rows, strict=True):
            end = scan.verdict_end[line]  # a fallback line's own verdict is empty: its row goes here
            parts += (written[at:end], row)
            at = end
        parts.append(written[at:])
        return b"".join(parts)


class NativeEvidenceStream:
    """Verifies evidence chunks (adapters.jsonl_reader) with the native verifier's threads, one round per
    chunk: while the pool verifies a round, the calling thread decodes the next chunk (in C, with the GIL
    released) and the consumer handles the previous one's verdicts."""

    def __init__(self, verifier: NativeQuoteVerifier) -> None:
        self.verifier = verifier

    @classmethod
    def serving(cls, verifier: object) -> NativeEvidenceStream | None:
        """The decoder for ``verifier`` when it is the native verifier (else None)."""
        return cls(verifier) if FIELDS_AGREE and isinstance(verifier, NativeQuoteVerifier) else None

    def verify(
        self, chunks: Iterable[LineChunk], decode_slow: Callable[[LineChunk, Sequence[int]], P]
    ) -> Iterator[tuple[P, ScannedBlock | None, list[QuoteResult]]]:
        """(slow lines, block, their results) per chunk, in order. ``decode_slow(chunk, offsets)`` decodes
        the lines at ``offsets`` of the chunk (the C decoder's fallback, or every line of a chunk it
        cannot take); a block is None when the whole chunk went to ``decode_slow``."""
        pack_checks, keys = self.verifier.packer(), self.verifier.keys
        slots = [_KeySlots()]

        def rounds() -> Iterator[tuple[P, ScannedBlock | None, PackedBatch | None]]:
            for chunk in chunks:
                if slots[0].full:
                    slots[0] = _KeySlots()  # rounds already laid out keep the old table alive
                block = _scan(chunk, slots[0], keys)
                slow = decode_slow(chunk, block.fallback if block else range(len(chunk.lines)))
                yield slow, block, pack_checks(slow.checks) if slow.checks else None

        def parts(round_) -> list:
            _, block, packed = round_
            return [part for part in (block and block.part, packed and packed.part) if part]

        for slow, block, packed in self.verifier.verify_rounds(rounds(), parts):
            if block is not None:
                block.finish()
            yield slow, block, unpack_results(packed) if packed is not None else []


def _scan(chunk: LineChunk, slots: _KeySlots, keys: NativeKeyCache) -> ScannedBlock | None:
    if chunk.text is None:
        return None
    text = ffi.from_buffer(chunk.text)
    raw = lib.ef_scan_block(slots.scanner, text, len(chunk.text))
    if raw == ffi.NULL:
        raise MemoryError("ef_scan_block")
    scan = ffi.gc(raw, lib.ef_scan_free)
    if scan.lines != len(chunk.lines):  # the reader and C split lines alike; if ever not, C's is unused
        return None
    slots.convert_new(keys)
    return ScannedBlock(scan, slots)
