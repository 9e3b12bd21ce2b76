"""What the device side needs from a TPM 2.0 (simulated, swtpm through tpm2-pytss, or /dev/tpmrm0)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.attestation.evidence import HashAlg, QuoteEvidence


class Tpm(Protocol):
    def ek_public(self) -> bytes:
        """The endorsement key's public area, marshalled TPM2B_PUBLIC."""
        ...

    def ek_certificate(self) -> bytes | None:
        """DER EK certificate when the TPM carries one."""
        ...

    def ak_public(self) -> bytes:
        """The attestation key's public area, marshalled TPM2B_PUBLIC (restricted signing key)."""
        ...

    def pcr_read(self, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> dict[int, bytes]: ...

    def pcr_extend(self, pcr: int, digest: bytes, bank: HashAlg = HashAlg.SHA256) -> None: ...

    def quote(self, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> QuoteEvidence:
        """TPM2_Quote by the AK over ``pcrs`` with ``nonce`` as qualifying data, plus the PCR values read."""
        ...

    def event_log(self) -> bytes | None:
        """The platform's TCG boot event log (binary_bios_measurements), None when there is none; quote()
        returns it in the evidence."""
        ...

    def activate_credential(self, credential_blob: bytes, encrypted_secret: bytes) -> bytes:
        """TPM2_ActivateCredential with the AK and EK; returns the recovered secret."""
        ...
