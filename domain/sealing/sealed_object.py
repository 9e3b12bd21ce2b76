"""The sealed data object's public and sensitive areas (KEYEDHASH), parsed with the standard library.

Used where no TPM is at hand (the simulated TPM's TPM2_Import) to apply the checks a TPM applies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.attestation.evidence import HashAlg
from domain.attestation.marshal import Reader, WireError
from domain.attestation.tpm_public import TPM_ALG_NULL, ObjectAttr

TPM_ALG_KEYEDHASH = 0x0008
MAX_DIGEST = 64
MAX_SEALED_DATA = 128  # MAX_SYM_DATA: the most a TPM will seal
# Import refuses objects bound to their original TPM or parent (TPM 2.0 Part 3, TPM2_Import).
NOT_IMPORTABLE = ObjectAttr.FIXED_TPM | ObjectAttr.FIXED_PARENT
# fixedTPM/fixedParent clear (Import needs it); userWithAuth clear: only the PolicyPCR session unseals,
# there is no password path; noDA: a device booting with unexpected PCRs must not lock its TPM out.
SEALED_ATTRIBUTES = ObjectAttr.ADMIN_WITH_POLICY | ObjectAttr.NO_DA


@dataclass(frozen=True)
class SealedPublic:
    name_alg: HashAlg
    attributes: int
    auth_policy: bytes
    unique: bytes
    name: bytes  # nameAlg || H(TPMT_PUBLIC): binds the duplicate's HMAC and key to this public area


def parse_sealed_public(tpm2b_public: bytes) -> SealedPublic:
    outer = Reader(tpm2b_public)
    body = outer.tpm2b()
    outer.end()
    rd = Reader(body)
    if rd.u16() != TPM_ALG_KEYEDHASH:
        raise WireError("the sealed object is not a KEYEDHASH object")
    try:
        name_alg = HashAlg(rd.u16())
    except ValueError:
        raise WireError("unknown name algorithm") from None
    attributes, auth_policy = rd.u32(), rd.tpm2b(MAX_DIGEST)
    if rd.u16() != TPM_ALG_NULL:
        raise WireError("a sealed data object has no keyed-hash scheme")
    unique = rd.tpm2b(MAX_DIGEST)
    rd.end()
    name = int(name_alg).to_bytes(2, "big") + hashlib.new(name_alg.name.lower(), body).digest()
    return SealedPublic(name_alg, attributes, auth_policy, unique, name)


def parse_sealed_sensitive(tpm2b_sensitive: bytes, public: SealedPublic) -> bytes:
    """The sealed data, after the TPM's binding check: unique == H(seedValue || data)."""
    outer = Reader(tpm2b_sensitive)
    rd = Reader(outer.tpm2b())
    outer.end()
    if rd.u16() != TPM_ALG_KEYEDHASH:
        raise WireError("sensitive area type differs from the public area's")
    rd.tpm2b(MAX_DIGEST)  # authValue: unused, the object only answers to its policy
    seed_value, data = rd.tpm2b(MAX_DIGEST), rd.tpm2b(MAX_SEALED_DATA)
    rd.end()
    algorithm = public.name_alg.name.lower()
    if (
        len(seed_value) != public.name_alg.digest_size
        or hashlib.new(algorithm, seed_value + data).digest() != public.unique
    ):
        raise WireError("public and sensitive areas do not belong together")
    return data
