"""Writes event logs in the format eventlog.py reads: for simulated TPMs, tests and benchmarks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from struct import pack

from domain.attestation.evidence import HashAlg
from domain.measured_boot.tcg import SPEC_ID_SIGNATURE, STARTUP_LOCALITY_SIGNATURE, EventType

_NAMES = {int(alg): alg.name.lower() for alg in HashAlg}


class LogBuilder:
    """A crypto-agile log over ``banks`` (TPM_ALG_IDs), or a SHA-1-only legacy log with ``legacy=True``.
    Each ``event`` records the hash of its data (or the given digests) in every bank and returns them."""

    def __init__(self, banks: Iterable[int] = (HashAlg.SHA256,), *, legacy: bool = False) -> None:
        self.banks = (int(HashAlg.SHA1),) if legacy else tuple(int(b) for b in banks)
        self.legacy = legacy
        self._parts: list[bytes] = []
        if not legacy:
            spec = SPEC_ID_SIGNATURE + pack("<IBBBBI", 0, 0, 2, 0, 2, len(self.banks))
            spec += b"".join(pack("<HH", b, HashAlg(b).digest_size) for b in self.banks) + b"\0"
            self._parts.append(pack("<II20sI", 0, EventType.EV_NO_ACTION, bytes(20), len(spec)) + spec)

    def event(
        self,
        pcr: int,
        kind: int,
        data: bytes,
        digests: dict[int, bytes] | None = None,
        measured: bytes | None = None,
    ) -> dict[int, bytes]:
        """Appends a record; its digests hash ``measured`` (default: ``data``) unless given."""
        if digests is None:
            content = data if measured is None else measured
            digests = {b: hashlib.new(_NAMES[b], content).digest() for b in self.banks}
        self._parts.append(self.record(pcr, kind, digests, data))
        return digests

    def record_for(self, pcr: int, kind: int, data: bytes, measured: bytes | None = None) -> bytes:
        """One record hashing ``measured`` (default: ``data``) in every bank, not appended: for
        extending a log built elsewhere."""
        content = data if measured is None else measured
        digests = {b: hashlib.new(_NAMES[b], content).digest() for b in self.banks}
        return self.record(pcr, kind, digests, data)

    def no_action(self, data: bytes, pcr: int = 0) -> None:
        zero = {b: bytes(HashAlg(b).digest_size) for b in self.banks}
        self._parts.append(self.record(pcr, EventType.EV_NO_ACTION, zero, data))

    def startup_locality(self, locality: int) -> None:
        self.no_action(STARTUP_LOCALITY_SIGNATURE + bytes([locality]))

    def record(self, pcr: int, kind: int, digests: dict[int, bytes], data: bytes) -> bytes:
        if self.legacy:
            return pack("<II20sI", pcr, kind, digests[int(HashAlg.SHA1)], len(data)) + data
        body = b"".join(pack("<H", alg) + digest for alg, digest in digests.items())
        return pack("<III", pcr, kind, len(digests)) + body + pack("<I", len(data)) + data

    def raw(self, data: bytes) -> None:
        self._parts.append(bytes(data))

    def build(self) -> bytes:
        return b"".join(self._parts)
