"""TPM2_Import + TPM2_Load + PolicyPCR + TPM2_Unseal for the simulated TPM, in pure Python.

Applies what a TPM applies (TPM 2.0 Part 1, 23.3 duplication; Part 3, TPM2_Import): the seed is
RSA-OAEP(SHA-256, "DUPLICATE\\0") under the EK, the outer HMAC over the duplicate and the object's
Name is checked before anything is decrypted, the sensitive area must match the public one, and the
secret comes out only when the policy digest over the TPM's current PCRs equals the authPolicy.

Relies on SimulatedTpm's private ``_endorsement_key()`` (the EK's private key) and its ``pcr_read``.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # CFB moved to the "decrepit" package in cryptography 47
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from adapters.tpm.activation import kdfa
from adapters.tpm.simulated import SimulatedTpm
from domain.attestation.marshal import Reader, WireError
from domain.sealing import SealedBlob, UnsealFailed, policy_pcr_digest
from domain.sealing.sealed_object import NOT_IMPORTABLE, parse_sealed_public, parse_sealed_sensitive

DUPLICATE_LABEL = b"DUPLICATE\x00"
EK_SYMMETRIC_BITS = 128  # the EK template's AES-128-CFB


def import_and_unseal(tpm: SimulatedTpm, blob: bytes) -> bytes:
    """The sealed secret, or UnsealFailed: wrong TPM, tampered blob, or PCRs that do not match."""
    try:
        sealed = SealedBlob.parse(blob)
        public = parse_sealed_public(sealed.public)
        duplicate = Reader(sealed.duplicate).tpm2b()
        wrapped_seed = Reader(sealed.encrypted_seed).tpm2b()
    except WireError as exc:
        raise UnsealFailed(f"the sealed blob does not parse: {exc}") from exc
    if public.attributes & NOT_IMPORTABLE:
        raise UnsealFailed("TPM2_Import refuses objects with fixedTPM or fixedParent")
    sensitive = _import(tpm, public.name, duplicate, wrapped_seed)
    try:
        secret = parse_sealed_sensitive(sensitive, public)
    except WireError as exc:
        raise UnsealFailed(f"the imported object does not load: {exc}") from exc
    current = tpm.pcr_read(sealed.pcrs, sealed.bank)
    if not hmac.compare_digest(policy_pcr_digest(sealed.bank, current), public.auth_policy):
        raise UnsealFailed("the PCR policy is not satisfied: the PCRs differ from the sealed values")
    return secret


def _import(tpm: SimulatedTpm, name: bytes, duplicate: bytes, wrapped_seed: bytes) -> bytes:
    """Outer wrapper off: the marshalled TPM2B_SENSITIVE."""
    sha256 = hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(sha256), algorithm=sha256, label=DUPLICATE_LABEL)
    try:
        seed = tpm._endorsement_key().decrypt(wrapped_seed, oaep)
    except ValueError as exc:
        raise UnsealFailed("the seed was not encrypted to this TPM's EK") from exc
    try:
        rd = Reader(duplicate)
        integrity, encrypted = rd.tpm2b(), rd.rest()
    except WireError as exc:
        raise UnsealFailed(f"the duplicate does not parse: {exc}") from exc
    hmac_key = kdfa("sha256", seed, b"INTEGRITY", b"", b"", 256)
    if not hmac.compare_digest(hmac.new(hmac_key, encrypted + name, hashlib.sha256).digest(), integrity):
        raise UnsealFailed("integrity check failed: the blob was altered or made for another object")
    key = kdfa("sha256", seed, b"STORAGE", name, b"", EK_SYMMETRIC_BITS)
    decryptor = Cipher(algorithms.AES(key), CFB(bytes(16))).decryptor()
    return decryptor.update(encrypted) + decryptor.finalize()
