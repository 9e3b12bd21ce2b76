"""TPM public areas to ``cryptography`` keys and to the AttestationKey the verifiers consume."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.attestation.evidence import AttestationKey, HashAlg, KeyType, SigScheme
from domain.attestation.tpm_public import (
    TPM_ALG_NULL,
    TPM_ALG_RSA,
    EccCurve,
    PublicArea,
    parse_public,
    tpm_name,
)

CURVES: dict[int, ec.EllipticCurve] = {
    EccCurve.NIST_P256: ec.SECP256R1(),
    EccCurve.NIST_P384: ec.SECP384R1(),
    EccCurve.NIST_P521: ec.SECP521R1(),
}
HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    HashAlg.SHA1: hashes.SHA1,
    HashAlg.SHA256: hashes.SHA256,
    HashAlg.SHA384: hashes.SHA384,
    HashAlg.SHA512: hashes.SHA512,
}
DEFAULT_RSA_EXPONENT = 65537  # what exponent 0 means in a TPM public area


def public_key(area: PublicArea) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """Raises ValueError for a key cryptography cannot build (unknown curve, point not on it)."""
    if area.type == TPM_ALG_RSA:
        exponent = area.exponent or DEFAULT_RSA_EXPONENT
        return rsa.RSAPublicNumbers(exponent, int.from_bytes(area.modulus, "big")).public_key()
    curve = CURVES.get(area.curve)
    if curve is None:
        raise ValueError(f"unsupported ECC curve 0x{area.curve:04x}")
    size = (curve.key_size + 7) // 8
    if len(area.x) > size or len(area.y) > size:
        raise ValueError("ECC point coordinate longer than the curve allows")
    point = b"\x04" + area.x.rjust(size, b"\x00") + area.y.rjust(size, b"\x00")
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)


def spki_der(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def attestation_key_from_public(tpm2b_public: bytes) -> AttestationKey:
    """The AK as enrolled: SPKI, the scheme and hash the TPM fixed in its public area, and its Name.

    Raises ValueError (WireError included) when the bytes are not a usable signing key."""
    area = parse_public(tpm2b_public)
    if area.scheme == TPM_ALG_NULL:
        scheme, hash_alg = None, HashAlg.SHA256
    else:
        try:
            scheme, hash_alg = SigScheme(area.scheme), HashAlg(area.scheme_hash)
        except ValueError:
            raise ValueError("the key's scheme is not a supported signing scheme") from None
    key_type = KeyType.RSA if area.type == TPM_ALG_RSA else KeyType.ECC
    return AttestationKey(spki_der(public_key(area)), key_type, scheme, hash_alg, tpm_name(tpm2b_public))
