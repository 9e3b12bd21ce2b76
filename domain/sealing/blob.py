"""``sealed_data``: what the device's agent needs to import and unseal, as one TPM-marshalled blob.

    TPML_PCR_SELECTION   the policy's bank and PCRs (so the agent knows what PolicyPCR to run)
    TPM2B_PUBLIC         the sealed KEYEDHASH object; its authPolicy is the PolicyPCR digest
    TPM2B_PRIVATE        the duplicate: outer HMAC + TPM2B_SENSITIVE encrypted for the parent
    TPM2B_ENCRYPTED_SECRET  the seed, encrypted to the parent (the device's EK)

Every part is a standard TPM structure, so tpm2-tools' ``tpm2_import`` can take the last three as
they are. The selection is not protected: changing it only makes the policy check fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.attestation.evidence import HashAlg
from domain.attestation.marshal import Reader, WireError, Writer
from domain.sealing.pcr_policy import MAX_PCR_INDEX, pcr_selection

MAX_SELECT_BYTES = 4
MAX_PUBLIC = 1024  # far above any keyedhash public area; bounds what a hostile blob can make us read
MAX_PRIVATE = 1024
MAX_SECRET = 512  # an RSA-4096 OAEP block


@dataclass(frozen=True)
class SealedBlob:
    bank: HashAlg
    pcrs: tuple[int, ...]
    public: bytes  # marshalled TPM2B_PUBLIC
    duplicate: bytes  # marshalled TPM2B_PRIVATE
    encrypted_seed: bytes  # marshalled TPM2B_ENCRYPTED_SECRET

    def marshal(self) -> bytes:
        return pcr_selection(self.bank, self.pcrs) + self.public + self.duplicate + self.encrypted_seed

    @classmethod
    def parse(cls, data: bytes) -> SealedBlob:
        """Exact parsing; raises WireError for anything that is not one whole blob."""
        rd = Reader(data)
        if rd.u32() != 1:
            raise WireError("a sealed blob selects exactly one PCR bank")
        try:
            bank = HashAlg(rd.u16())
        except ValueError as exc:
            raise WireError(f"unknown PCR bank: {exc}") from None
        size = rd.u8()
        if size > MAX_SELECT_BYTES:
            raise WireError(f"PCR bitmap of {size} bytes")
        bitmap = rd.take(size)
        pcrs = tuple(i for i in range(size * 8) if bitmap[i // 8] >> (i % 8) & 1)
        if not pcrs or pcrs[-1] > MAX_PCR_INDEX:
            raise WireError("the blob selects no PCR or one above 23")
        parts = [_tpm2b(rd, limit) for limit in (MAX_PUBLIC, MAX_PRIVATE, MAX_SECRET)]
        rd.end()
        return cls(bank, pcrs, *parts)


def _tpm2b(rd: Reader, limit: int) -> bytes:
    """A TPM2B kept with its size prefix: that is how TPM2_Import and tpm2-pytss take it."""
    body = rd.tpm2b(limit)
    return Writer().tpm2b(body).value()
