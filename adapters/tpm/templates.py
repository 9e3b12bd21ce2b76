"""Public areas the simulated TPM presents, shaped like the TCG EK profile's and tpm2_createak's."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.attestation.evidence import HashAlg, SigScheme
from domain.attestation.tpm_public import (
    TPM_ALG_ECC,
    TPM_ALG_RSA,
    EccCurve,
    ObjectAttr,
    PublicArea,
    SymDef,
    build_public,
)

TPM_ALG_AES = 0x0006
TPM_ALG_CFB = 0x0043
# PolicySecret(TPM_RH_ENDORSEMENT): the TCG EK Credential Profile's default EK auth policy.
EK_AUTH_POLICY = bytes.fromhex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa")
EK_ATTRIBUTES = (
    ObjectAttr.FIXED_TPM
    | ObjectAttr.FIXED_PARENT
    | ObjectAttr.SENSITIVE_DATA_ORIGIN
    | ObjectAttr.ADMIN_WITH_POLICY
    | ObjectAttr.RESTRICTED
    | ObjectAttr.DECRYPT
)
AK_ATTRIBUTES = (
    ObjectAttr.FIXED_TPM
    | ObjectAttr.FIXED_PARENT
    | ObjectAttr.SENSITIVE_DATA_ORIGIN
    | ObjectAttr.USER_WITH_AUTH
    | ObjectAttr.RESTRICTED
    | ObjectAttr.SIGN
)
_RSA_SCHEMES = {"rsassa": SigScheme.RSASSA, "rsapss": SigScheme.RSAPSS}


def ek_public(key: rsa.RSAPublicKey) -> bytes:
    modulus = key.public_numbers().n.to_bytes(key.key_size // 8, "big")
    return build_public(
        PublicArea(
            type=TPM_ALG_RSA,
            name_alg=HashAlg.SHA256,
            attributes=EK_ATTRIBUTES,
            auth_policy=EK_AUTH_POLICY,
            symmetric=SymDef(TPM_ALG_AES, 128, TPM_ALG_CFB),
            key_bits=key.key_size,
            exponent=0,
            modulus=modulus,
        )
    )


def ak_public(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: str) -> bytes:
    """A restricted signing key with its scheme fixed: ECDSA for ECC, RSASSA or RSAPSS for RSA."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        point = key.public_key().public_numbers()
        return build_public(
            PublicArea(
                type=TPM_ALG_ECC,
                name_alg=HashAlg.SHA256,
                attributes=AK_ATTRIBUTES,
                scheme=SigScheme.ECDSA,
                scheme_hash=HashAlg.SHA256,
                curve=EccCurve.NIST_P256,
                x=point.x.to_bytes(32, "big"),
                y=point.y.to_bytes(32, "big"),
            )
        )
    modulus = key.public_key().public_numbers().n.to_bytes(key.key_size // 8, "big")
    return build_public(
        PublicArea(
            type=TPM_ALG_RSA,
            name_alg=HashAlg.SHA256,
            attributes=AK_ATTRIBUTES,
            scheme=_RSA_SCHEMES[str(algorithm)],
            scheme_hash=HashAlg.SHA256,
            key_bits=key.key_size,
            exponent=0,
            modulus=modulus,
        )
    )
