"""Server-side sealing with tpm2-pytss: a sealed data object wrapped for the device's EK (TPM2_Import).

The object is built and duplicated in software (``tpm2_pytss.utils.wrap``: seed encrypted to the
parent with RSA-OAEP or ECDH, AES-CFB outer encryption, HMAC integrity over the object's Name), so
the server needs no TPM and never sees a device's private key. No inner wrapper: it would need a
second secret delivered to the device, and the outer wrapper already confines the blob to one TPM.
"""

from __future__ import annotations

from tpm2_pytss.types import TPM2B_PUBLIC, TPM2B_SENSITIVE, TPMA_OBJECT
from tpm2_pytss.utils import wrap

from domain.sealing.sealed_object import MAX_SEALED_DATA, SEALED_ATTRIBUTES

RESTRICTED_DECRYPT = TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT
DIGEST_BYTES = 32  # SHA-256 authPolicy: the object's nameAlg is SHA-256


class PytssSealMaker:
    def make_import_blob(
        self, parent_public: bytes, auth_policy: bytes, secret: bytes
    ) -> tuple[bytes, bytes, bytes]:
        parent = _parent(parent_public)
        if len(auth_policy) != DIGEST_BYTES:
            raise ValueError("the authPolicy must be a SHA-256 policy digest")
        if not 0 < len(secret) <= MAX_SEALED_DATA:
            raise ValueError(f"a TPM seals 1-{MAX_SEALED_DATA} bytes")
        sensitive, public = TPM2B_SENSITIVE.keyedhash_from_secret(
            bytes(secret), objectAttributes=int(SEALED_ATTRIBUTES)
        )
        public.publicArea.authPolicy = bytes(auth_policy)
        _, duplicate, seed = wrap(parent.publicArea, public, sensitive)
        return public.marshal(), duplicate.marshal(), seed.marshal()


def _parent(parent_public: bytes) -> TPM2B_PUBLIC:
    try:
        public, consumed = TPM2B_PUBLIC.unmarshal(bytes(parent_public))
    except Exception as exc:  # tpm2-pytss raises TSS2_Exception or TypeError depending on the fault
        raise ValueError(f"parent public area does not unmarshal: {exc}") from exc
    if consumed != len(parent_public):
        raise ValueError("parent public area has trailing bytes")
    if public.publicArea.objectAttributes & RESTRICTED_DECRYPT != RESTRICTED_DECRYPT:
        raise ValueError("the import parent must be a restricted decryption (storage) key such as the EK")
    return public
