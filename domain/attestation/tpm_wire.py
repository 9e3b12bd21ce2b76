"""TPMS_ATTEST (quote) and TPMT_SIGNATURE: exact, bounds-checked parsing and marshalling.

The attested union is always read as TPMS_QUOTE_INFO: only quotes are accepted, so another attestation
type whose bytes happen to fit is reported as ``not_a_quote`` and one that does not fit as ``malformed``.
Malformed means exactly what evidence.py lists; algorithm identifiers inside a structure that parses
(selection banks, signature hash) are judged by the verifier, not here. TPM2B_PUBLIC lives in
tpm_public.py and is re-exported from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.attestation.evidence import (
    MAX_PCR_BANKS,
    MAX_SELECT_BYTES,
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_QUOTE,
    ClockInfo,
    SigScheme,
)
from domain.attestation.marshal import Reader, WireError, Writer
from domain.attestation.tpm_public import PublicArea, SymDef, build_public, parse_public, tpm_name

__all__ = [
    "Attest",
    "PcrSelect",
    "PublicArea",
    "Signature",
    "SymDef",
    "WireError",
    "build_attest",
    "build_public",
    "build_signature",
    "parse_attest",
    "parse_public",
    "parse_signature",
    "tpm_name",
]


@dataclass(frozen=True)
class PcrSelect:
    """TPMS_PCR_SELECTION: a bank and its bitmap (bit i of byte i // 8 selects PCR i)."""

    hash_alg: int
    select: bytes

    @classmethod
    def of(cls, hash_alg: int, pcrs: Iterable[int], size: int = 3) -> PcrSelect:
        pcrs = list(pcrs)
        if any(not 0 <= pcr < MAX_SELECT_BYTES * 8 for pcr in pcrs):
            raise ValueError(f"PCR indexes must be 0..{MAX_SELECT_BYTES * 8 - 1}")
        bitmap = bytearray(max(size, (max(pcrs, default=-1) // 8) + 1))
        for pcr in pcrs:
            bitmap[pcr // 8] |= 1 << (pcr % 8)
        return cls(int(hash_alg), bytes(bitmap))

    @property
    def pcrs(self) -> tuple[int, ...]:
        """Selected indexes in ascending order, the order a TPM concatenates them in."""
        return tuple(i for i in range(len(self.select) * 8) if self.select[i // 8] >> (i % 8) & 1)


@dataclass(frozen=True)
class Attest:
    qualified_signer: bytes
    extra_data: bytes
    clock: ClockInfo
    firmware_version: int
    pcr_selections: tuple[PcrSelect, ...]
    pcr_digest: bytes
    magic: int = TPM_GENERATED_VALUE
    type: int = TPM_ST_ATTEST_QUOTE

    @property
    def is_quote(self) -> bool:
        return self.magic == TPM_GENERATED_VALUE and self.type == TPM_ST_ATTEST_QUOTE


@dataclass(frozen=True)
class Signature:
    """TPMT_SIGNATURE: ``sig`` for RSASSA/RSAPSS, ``r`` and ``s`` for ECDSA."""

    scheme: SigScheme
    hash_alg: int
    sig: bytes = b""
    r: bytes = b""
    s: bytes = b""


def parse_attest(data: bytes) -> Attest:
    rd = Reader(data)
    magic, type_ = rd.u32(), rd.u16()
    signer, extra = rd.tpm2b(), rd.tpm2b()
    clock = ClockInfo(clock=rd.u64(), reset_count=rd.u32(), restart_count=rd.u32(), safe=rd.u8() != 0)
    firmware = rd.u64()
    count = rd.u32()
    if count > MAX_PCR_BANKS:
        raise WireError(f"{count} PCR banks, at most {MAX_PCR_BANKS}")
    selections = []
    for _ in range(count):
        hash_alg, size = rd.u16(), rd.u8()
        if size > MAX_SELECT_BYTES:
            raise WireError(f"PCR select bitmap of {size} bytes, at most {MAX_SELECT_BYTES}")
        selections.append(PcrSelect(hash_alg, rd.take(size)))
    digest = rd.tpm2b()
    rd.end()
    return Attest(signer, extra, clock, firmware, tuple(selections), digest, magic, type_)


def build_attest(attest: Attest) -> bytes:
    wr = Writer().u32(attest.magic).u16(attest.type)
    wr.tpm2b(attest.qualified_signer).tpm2b(attest.extra_data)
    c = attest.clock
    wr.u64(c.clock).u32(c.reset_count).u32(c.restart_count).u8(int(c.safe)).u64(attest.firmware_version)
    wr.u32(len(attest.pcr_selections))
    for sel in attest.pcr_selections:
        wr.u16(sel.hash_alg).u8(len(sel.select)).raw(sel.select)
    return wr.tpm2b(attest.pcr_digest).value()


def parse_signature(data: bytes) -> Signature:
    rd = Reader(data)
    alg = rd.u16()
    try:
        scheme = SigScheme(alg)
    except ValueError:
        raise WireError(f"unknown signature algorithm 0x{alg:04x}") from None
    hash_alg = rd.u16()
    if scheme is SigScheme.ECDSA:
        sig = Signature(scheme, hash_alg, r=rd.tpm2b(), s=rd.tpm2b())
    else:
        sig = Signature(scheme, hash_alg, sig=rd.tpm2b())
    rd.end()
    return sig


def build_signature(sig: Signature) -> bytes:
    wr = Writer().u16(sig.scheme).u16(sig.hash_alg)
    if sig.scheme == SigScheme.ECDSA:
        return wr.tpm2b(sig.r).tpm2b(sig.s).value()
    return wr.tpm2b(sig.sig).value()
