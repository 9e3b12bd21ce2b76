"""TPM2_ActivateCredential's cryptography (TPM 2.0 Part 1, 24.4 and 11.4.10), for the simulated TPM."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # CFB moved to the "decrepit" package in cryptography 47
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from domain.attestation.marshal import Reader, WireError

IDENTITY_LABEL = b"IDENTITY\x00"
AES_128_BITS = 128


class ActivationFailed(ValueError):
    """What a TPM reports as TPM_RC_VALUE / TPM_RC_INTEGRITY: the blob was not made for this EK and AK."""


def kdfa(hash_name: str, key: bytes, label: bytes, context_u: bytes, context_v: bytes, bits: int) -> bytes:
    """SP 800-108 counter-mode KDF with HMAC: counter || label || 00 || contextU || contextV || bits."""
    out, counter = b"", 1
    fixed = label + b"\x00" + context_u + context_v + bits.to_bytes(4, "big")
    while len(out) * 8 < bits:
        out += hmac.new(key, counter.to_bytes(4, "big") + fixed, hash_name).digest()
        counter += 1
    return out[: bits // 8]


def activate_credential(
    ek: rsa.RSAPrivateKey, ak_name: bytes, credential_blob: bytes, encrypted_secret: bytes
) -> bytes:
    """Recover the secret from a TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET made for an RSA EK
    (nameAlg SHA-256, AES-128-CFB) and the AK called ``ak_name``."""
    try:
        rd = Reader(encrypted_secret)
        wrapped_seed = rd.tpm2b()
        rd.end()
        rd = Reader(credential_blob)
        blob = Reader(rd.tpm2b())
        rd.end()
        integrity = blob.tpm2b()
        enc_identity = blob.rest()
    except WireError as exc:
        raise ActivationFailed(f"credential structures do not parse: {exc}") from exc
    sha256 = hashes.SHA256()
    try:
        oaep = padding.OAEP(mgf=padding.MGF1(sha256), algorithm=sha256, label=IDENTITY_LABEL)
        seed = ek.decrypt(wrapped_seed, oaep)
    except ValueError as exc:
        raise ActivationFailed("the seed was not encrypted to this EK") from exc
    hmac_key = kdfa("sha256", seed, b"INTEGRITY", b"", b"", 256)
    expected = hmac.new(hmac_key, enc_identity + ak_name, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, integrity):
        raise ActivationFailed("integrity check failed: wrong EK or AK name")
    sym_key = kdfa("sha256", seed, b"STORAGE", ak_name, b"", AES_128_BITS)
    decryptor = Cipher(algorithms.AES(sym_key), CFB(b"\x00" * 16)).decryptor()
    plain = decryptor.update(enc_identity) + decryptor.finalize()
    try:
        rd = Reader(plain)
        secret = rd.tpm2b()
        rd.end()
    except WireError as exc:
        raise ActivationFailed("decrypted credential is not a TPM2B_DIGEST") from exc
    return secret
