"""TPM2B_PUBLIC for RSA and ECC keys: exact parsing, marshalling, and the key's TPM Name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any

from domain.attestation.evidence import HashAlg, KeyType
from domain.attestation.marshal import Reader, WireError, Writer

TPM_ALG_RSA = 0x0001
TPM_ALG_ECC = 0x0023
TPM_ALG_NULL = 0x0010
MAX_DIGEST = 64  # sizeof(TPMU_HA)
MAX_RSA_KEY_BYTES = 512
MAX_ECC_KEY_BYTES = 66

# Scheme identifiers and whether their details carry a hash (TPMS_SCHEME_HASH) or hash + count (ECDAA).
_RSA_SCHEMES = {0x0014: "hash", 0x0016: "hash", 0x0017: "hash", 0x0015: "empty", TPM_ALG_NULL: "empty"}
_ECC_SCHEMES = {
    0x0018: "hash",
    0x0019: "hash",
    0x001B: "hash",
    0x001C: "hash",
    0x001D: "hash",
    0x001A: "count",
    TPM_ALG_NULL: "empty",
}
_KDF_SCHEMES = {0x0007, 0x0020, 0x0021, 0x0022}
_OBJECT_CIPHERS = {0x0006, 0x0013, 0x0026}  # AES, SM4, CAMELLIA (XOR is not allowed for objects)
_HASHES = {h.value for h in HashAlg}


class ObjectAttr(IntFlag):
    FIXED_TPM = 1 << 1
    ST_CLEAR = 1 << 2
    FIXED_PARENT = 1 << 4
    SENSITIVE_DATA_ORIGIN = 1 << 5
    USER_WITH_AUTH = 1 << 6
    ADMIN_WITH_POLICY = 1 << 7
    NO_DA = 1 << 10
    ENCRYPTED_DUPLICATION = 1 << 11
    RESTRICTED = 1 << 16
    DECRYPT = 1 << 17
    SIGN = 1 << 18


class EccCurve(IntEnum):
    NIST_P256 = 0x0003
    NIST_P384 = 0x0004
    NIST_P521 = 0x0005


@dataclass(frozen=True)
class SymDef:
    """TPMT_SYM_DEF_OBJECT that is not TPM_ALG_NULL (that case is ``symmetric=None``)."""

    algorithm: int
    key_bits: int
    mode: int


@dataclass(frozen=True)
class PublicArea:
    """TPMT_PUBLIC. RSA keys use key_bits/exponent/modulus; ECC keys curve/kdf/x/y. Hash 0 = none."""

    type: int
    name_alg: int
    attributes: int
    auth_policy: bytes = b""
    symmetric: SymDef | None = None
    scheme: int = TPM_ALG_NULL
    scheme_hash: int = 0
    scheme_count: int = 0
    key_bits: int = 0
    exponent: int = 0
    modulus: bytes = b""
    curve: int = 0
    kdf: int = TPM_ALG_NULL
    kdf_hash: int = 0
    x: bytes = b""
    y: bytes = b""

    @property
    def key_type(self) -> KeyType:
        return KeyType.RSA if self.type == TPM_ALG_RSA else KeyType.ECC

    def has(self, attr: ObjectAttr) -> bool:
        return self.attributes & attr == attr


def parse_public(data: bytes) -> PublicArea:
    """A marshalled TPM2B_PUBLIC; anything but exactly one RSA or ECC public area raises WireError."""
    outer = Reader(data)
    inner = Reader(outer.tpm2b())
    outer.end()
    area = _parse_tpmt_public(inner)
    inner.end()
    return area


def _parse_tpmt_public(rd: Reader) -> PublicArea:
    type_, name_alg, attributes = rd.u16(), rd.u16(), rd.u32()
    if type_ not in (TPM_ALG_RSA, TPM_ALG_ECC):
        raise WireError(f"unsupported public key type 0x{type_:04x}")
    if name_alg not in _HASHES:
        raise WireError(f"unsupported name algorithm 0x{name_alg:04x}")
    fields: dict[str, Any] = dict(
        type=type_, name_alg=name_alg, attributes=attributes, auth_policy=rd.tpm2b(MAX_DIGEST)
    )
    sym = rd.u16()
    if sym != TPM_ALG_NULL:
        if sym not in _OBJECT_CIPHERS:
            raise WireError(f"unsupported symmetric algorithm 0x{sym:04x}")
        fields["symmetric"] = SymDef(sym, rd.u16(), rd.u16())
    scheme = rd.u16()
    details = (_RSA_SCHEMES if type_ == TPM_ALG_RSA else _ECC_SCHEMES).get(scheme)
    if details is None:
        raise WireError(f"scheme 0x{scheme:04x} is not valid for this key type")
    fields["scheme"] = scheme
    if details != "empty":
        fields["scheme_hash"] = rd.u16()
    if details == "count":
        fields["scheme_count"] = rd.u16()
    if type_ == TPM_ALG_RSA:
        fields.update(key_bits=rd.u16(), exponent=rd.u32(), modulus=rd.tpm2b(MAX_RSA_KEY_BYTES))
    else:
        fields["curve"] = rd.u16()
        kdf = rd.u16()
        if kdf != TPM_ALG_NULL and kdf not in _KDF_SCHEMES:
            raise WireError(f"unsupported KDF scheme 0x{kdf:04x}")
        fields["kdf"] = kdf
        if kdf != TPM_ALG_NULL:
            fields["kdf_hash"] = rd.u16()
        fields.update(x=rd.tpm2b(MAX_ECC_KEY_BYTES), y=rd.tpm2b(MAX_ECC_KEY_BYTES))
    return PublicArea(**fields)


def build_public(area: PublicArea) -> bytes:
    """Marshal as TPM2B_PUBLIC (size-prefixed TPMT_PUBLIC)."""
    return Writer().tpm2b(_tpmt_public(area)).value()


def _tpmt_public(area: PublicArea) -> bytes:
    wr = Writer().u16(area.type).u16(area.name_alg).u32(area.attributes).tpm2b(area.auth_policy)
    if area.symmetric is None:
        wr.u16(TPM_ALG_NULL)
    else:
        wr.u16(area.symmetric.algorithm).u16(area.symmetric.key_bits).u16(area.symmetric.mode)
    wr.u16(area.scheme)
    details = (_RSA_SCHEMES if area.type == TPM_ALG_RSA else _ECC_SCHEMES).get(area.scheme, "empty")
    if details != "empty":
        wr.u16(area.scheme_hash)
    if details == "count":
        wr.u16(area.scheme_count)
    if area.type == TPM_ALG_RSA:
        return wr.u16(area.key_bits).u32(area.exponent).tpm2b(area.modulus).value()
    wr.u16(area.curve).u16(area.kdf)
    if area.kdf != TPM_ALG_NULL:
        wr.u16(area.kdf_hash)
    return wr.tpm2b(area.x).tpm2b(area.y).value()


def tpm_name(tpm2b_public: bytes) -> bytes:
    """The object's Name: nameAlg || H_nameAlg(TPMT_PUBLIC), over the exact bytes the TPM produced."""
    area = parse_public(tpm2b_public)
    digest = hashlib.new(HashAlg(area.name_alg).name.lower(), bytes(tpm2b_public)[2:]).digest()
    return area.name_alg.to_bytes(2, "big") + digest
