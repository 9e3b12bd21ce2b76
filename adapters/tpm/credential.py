"""CredentialChallenger with tpm2-pytss's software TPM2_MakeCredential."""

from __future__ import annotations

from tpm2_pytss.types import TPM2B_NAME, TPM2B_PUBLIC
from tpm2_pytss.utils import make_credential


class PytssCredentialChallenger:
    def make_credential(self, ek_public: bytes, ak_name: bytes, secret: bytes) -> tuple[bytes, bytes]:
        """Marshalled (TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET) for TPM2_ActivateCredential."""
        try:
            public, consumed = TPM2B_PUBLIC.unmarshal(bytes(ek_public))
        except Exception as exc:  # tpm2-pytss raises TSS2_Exception or TypeError depending on the fault
            raise ValueError(f"EK public area does not unmarshal: {exc}") from exc
        if consumed != len(ek_public):
            raise ValueError("EK public area has trailing bytes")
        blob, encrypted = make_credential(public, bytes(secret), TPM2B_NAME(bytes(ak_name)))
        return blob.marshal(), encrypted.marshal()
