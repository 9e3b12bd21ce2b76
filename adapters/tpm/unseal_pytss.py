"""Device-side unseal on a real TPM through PytssTpm: TPM2_Import under the EK, TPM2_Load, then
TPM2_Unseal in a policy session where TPM2_PolicyPCR has run over the blob's PCR selection.

Reuses PytssTpm's connection and its EK helpers (private: ``_lock``, ``_open``, ``_ek_loaded``,
``_with_ek_policy``, ``_flush``): the EK only accepts a PolicySecret(endorsement) session, and on a
TPM without resource manager (swtpm) a second connection could not run alongside the first.
The imported private part is not kept: the blob is the durable form and imports again at every boot.
"""

from __future__ import annotations

from collections.abc import Sequence

from tpm2_pytss import TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_SE
from tpm2_pytss.types import (
    TPM2B_DATA,
    TPM2B_ENCRYPTED_SECRET,
    TPM2B_PRIVATE,
    TPM2B_PUBLIC,
    TPML_PCR_SELECTION,
    TPMS_PCR_SELECTION,
    TPMT_SYM_DEF,
    TPMT_SYM_DEF_OBJECT,
)

from adapters.tpm.pytss_tpm import TPM_LAYER_MASK, PytssTpm
from domain.attestation.evidence import HashAlg
from domain.attestation.marshal import WireError
from domain.sealing import SealedBlob, UnsealFailed
from domain.sealing.pcr_policy import PCR_SELECT_BYTES, pcr_selection

NO_INNER_WRAPPER = TPMT_SYM_DEF_OBJECT(algorithm=TPM2_ALG.NULL)


def import_and_unseal(tpm: PytssTpm, blob: bytes) -> bytes:
    try:
        sealed = SealedBlob.parse(blob)
        public = TPM2B_PUBLIC.unmarshal(sealed.public)[0]
        duplicate = TPM2B_PRIVATE.unmarshal(sealed.duplicate)[0]
        seed = TPM2B_ENCRYPTED_SECRET.unmarshal(sealed.encrypted_seed)[0]
    except (WireError, TSS2_Exception, TypeError) as exc:
        raise UnsealFailed(f"the sealed blob does not parse: {exc}") from exc
    with tpm._lock:
        esys = tpm._open()
        handle = session = None
        try:
            with tpm._ek_loaded() as ek:
                private = tpm._with_ek_policy(
                    lambda s: esys.import_(
                        ek, TPM2B_DATA(), public, duplicate, seed, NO_INNER_WRAPPER, session1=s
                    )
                )
                handle = tpm._with_ek_policy(lambda s: esys.load(ek, private, public, session1=s))
            session = policy_pcr_session(esys, sealed.bank, sealed.pcrs)
            return bytes(esys.unseal(handle, session1=session))
        except TSS2_Exception as exc:
            if exc.rc & TPM_LAYER_MASK == 0:  # the TPM itself refused: wrong TPM, altered, or PCRs differ
                raise UnsealFailed(f"the TPM refused to import or unseal: {exc}") from exc
            raise
        finally:
            tpm._flush(esys, session)
            tpm._flush(esys, handle)


def policy_pcr_session(esys, bank: HashAlg, pcrs: Sequence[int]):
    """A policy session after TPM2_PolicyPCR over ``pcrs`` (the TPM digests their current values)."""
    session = esys.start_auth_session(
        ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256
    )
    try:
        esys.policy_pcr(session, b"", _selection(bank, pcrs))
    except BaseException:
        esys.flush_context(session)
        raise
    return session


def _selection(bank: HashAlg, pcrs: Sequence[int]) -> TPML_PCR_SELECTION:
    bitmap = pcr_selection(bank, pcrs)[-PCR_SELECT_BYTES:]
    return TPML_PCR_SELECTION(
        [TPMS_PCR_SELECTION(hash=int(bank), sizeofSelect=PCR_SELECT_BYTES, pcrSelect=bitmap)]
    )
