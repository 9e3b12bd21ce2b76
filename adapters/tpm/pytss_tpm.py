"""A real TPM 2.0 (swtpm, or /dev/tpmrm0 on a device) behind ports.tpm.Tpm, through tpm2-pytss ESAPI.

The EK (TCG profile RSA-2048) is re-created as a primary whenever it is needed; the AK is created under
it (as tpm2_createak does) or, with a state dir, loaded from the blobs saved there the first time.
Without a resource manager (swtpm) transient objects outlive the connection, so close() flushes the AK.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from tpm2_pytss import ESAPI, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_SE
from tpm2_pytss.types import (
    TPM2B_ENCRYPTED_SECRET,
    TPM2B_ID_OBJECT,
    TPML_DIGEST_VALUES,
    TPML_PCR_SELECTION,
    TPMS_PCR_SELECTION,
    TPMT_HA,
    TPMT_SYM_DEF,
    TPMU_HA,
)

from adapters.tpm.activation import ActivationFailed
from adapters.tpm.boot_event_log import read_event_log
from adapters.tpm.pytss_keys import AkStore, ak_template, ek_template
from adapters.tpm.simulated import AkAlgorithm
from domain.attestation.evidence import HashAlg, QuoteEvidence
from domain.attestation.tpm_wire import PcrSelect, parse_attest, tpm_name

PCR_COUNT = 24
MAX_NONCE = 64  # TPM2B_DATA
QUOTE_ATTEMPTS = 3  # an extend between quote and read changes the values; quote again
TPM_LAYER_MASK = 0xFFFF0000  # response codes from the TPM itself have layer 0


class TpmError(RuntimeError):
    """The TPM could not do what was asked (other than a credential that does not activate)."""


class PytssTpm:
    def __init__(
        self,
        tcti: str,
        *,
        ak: AkAlgorithm | str = AkAlgorithm.ECC,
        state_dir: Path | str | None = None,
        ek_handle: int | None = None,
        event_log_path: Path | str | None = None,
    ) -> None:
        """``tcti`` as tpm2-tools spells it; ``ek_handle`` uses a persisted EK (e.g. 0x81010001)
        instead of re-creating it; ``state_dir`` keeps the AK across restarts; ``event_log_path`` is
        the platform's boot event log, sent with every quote when present (the kernel's for
        /dev/tpmrm0; none for swtpm). Nothing touches the TPM until the first call."""
        self.event_log_path = event_log_path
        self.tcti = tcti
        self.ak_algorithm = AkAlgorithm(ak)
        self._store = AkStore(state_dir) if state_dir is not None else None
        self._ek_persistent = ek_handle
        self._lock = threading.RLock()  # one ESAPI context is not safe to share between threads
        self._esys: ESAPI | None = None
        self._ak = None

    # -- lifecycle ----------------------------------------------------------------------------
    def _open(self) -> ESAPI:
        if self._esys is not None:
            return self._esys
        esys = ESAPI(self.tcti)
        try:
            self._esys = esys
            self._ek_cert, self._ek_template = ek_template(esys)
            with self._ek_loaded() as ek:
                self._ek_public = esys.read_public(ek)[0].marshal()
                self._ak, self._ak_public = self._load_ak(ek)
        except BaseException:
            self._esys = None
            self._flush(esys, self._ak)
            self._ak = None
            esys.close()
            raise
        return esys

    @contextmanager
    def _ek_loaded(self):
        """The EK, loaded only while needed: without a resource manager (swtpm) a TPM holds three
        transient objects, so keeping just the AK loaded lets several PytssTpm share one."""
        if self._ek_persistent is not None:
            ek = self._esys.tr_from_tpmpublic(self._ek_persistent)
            try:
                yield ek
            finally:
                self._esys.tr_close(ek)  # frees ESYS's record only; the persistent EK stays
            return
        # The endorsement seed and the template fix the key: it is the same EK every time.
        ek, *_ = self._esys.create_primary(None, self._ek_template, ESYS_TR.ENDORSEMENT)
        try:
            yield ek
        finally:
            self._flush(self._esys, ek)

    def _load_ak(self, ek):
        esys = self._esys
        saved = self._store.load(self.ak_algorithm) if self._store else None
        if saved is None:
            private, public, *_ = self._with_ek_policy(
                lambda s: esys.create(ek, None, ak_template(self.ak_algorithm), session1=s)
            )
        else:
            private, public = saved
        try:
            handle = self._with_ek_policy(lambda s: esys.load(ek, private, public, session1=s))
        except TSS2_Exception as exc:
            if saved is None:
                raise
            raise TpmError(
                f"the saved AK does not load under this TPM's EK ({exc}); "
                "remove the state dir to create and enrol a new AK"
            ) from exc
        if saved is None and self._store:
            self._store.save(self.ak_algorithm, private, public)
        return handle, public.marshal()

    def _with_ek_policy(self, command):
        """Run ``command(session)`` under PolicySecret(TPM_RH_ENDORSEMENT): the EK's authPolicy,
        needed for every use of the EK (it has adminWithPolicy and no userWithAuth)."""
        esys = self._esys
        session = esys.start_auth_session(
            ESYS_TR.NONE, ESYS_TR.NONE, TPM2_SE.POLICY, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256
        )
        try:
            esys.policy_secret(ESYS_TR.ENDORSEMENT, session)
            return command(session)
        finally:
            self._flush(esys, session)

    @staticmethod
    def _flush(esys: ESAPI, handle) -> None:
        if handle is not None:
            try:
                esys.flush_context(handle)
            except TSS2_Exception:
                pass  # already gone (the TPM restarted): nothing left to free

    def close(self) -> None:
        with self._lock:
            if self._esys is not None:
                esys, self._esys = self._esys, None
                self._flush(esys, self._ak)
                self._ak = None
                esys.close()

    def __enter__(self) -> PytssTpm:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- keys ---------------------------------------------------------------------------------
    def ek_public(self) -> bytes:
        with self._lock:
            self._open()
            return self._ek_public

    def ek_certificate(self) -> bytes | None:
        with self._lock:
            self._open()
            return self._ek_cert

    def ak_public(self) -> bytes:
        with self._lock:
            self._open()
            return self._ak_public

    @property
    def ak_name(self) -> bytes:
        return tpm_name(self.ak_public())

    # -- PCRs ---------------------------------------------------------------------------------
    def pcr_read(self, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> dict[int, bytes]:
        """Values in ascending PCR order, the order a TPM concatenates them in."""
        wanted = sorted(set(_indexes(pcrs)))
        with self._lock:
            return self._read(PcrSelect.of(bank, wanted))

    def _read(self, selection: PcrSelect) -> dict[int, bytes]:
        """One bank's selected PCRs; PCR_Read returns at most 8 digests, so ask again for the rest."""
        esys, remaining = self._open(), list(selection.pcrs)
        values: dict[int, bytes] = {}
        while remaining:
            _, out, digests = esys.pcr_read(_tpml(PcrSelect.of(selection.hash_alg, remaining)))
            got = [pcr for sel in out for pcr in _selected(sel)]
            if not got:
                raise TpmError(f"the TPM has no PCRs {remaining} in bank 0x{selection.hash_alg:04x}")
            values.update(zip(got, (bytes(d) for d in digests), strict=True))
            remaining = [pcr for pcr in remaining if pcr not in values]
        return {pcr: values[pcr] for pcr in selection.pcrs}

    def pcr_extend(self, pcr: int, digest: bytes, bank: HashAlg = HashAlg.SHA256) -> None:
        [pcr] = _indexes([pcr])
        bank = HashAlg(bank)
        if len(digest) != bank.digest_size:
            raise ValueError(f"a {bank.name} extend takes {bank.digest_size} bytes")
        ha = TPMT_HA(hashAlg=int(bank), digest=TPMU_HA(**{bank.name.lower(): bytes(digest)}))
        with self._lock:
            self._open().pcr_extend(ESYS_TR(ESYS_TR.PCR0 + pcr), TPML_DIGEST_VALUES([ha]))

    # -- attestation --------------------------------------------------------------------------
    def quote(self, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> QuoteEvidence:
        if len(nonce) > MAX_NONCE:
            raise ValueError(f"qualifying data is at most {MAX_NONCE} bytes")
        selection = PcrSelect.of(bank, sorted(set(_indexes(pcrs))))
        with self._lock:
            esys = self._open()
            for _ in range(QUOTE_ATTEMPTS):
                quoted, signature = esys.quote(self._ak, _tpml(selection), bytes(nonce))
                attest_bytes = bytes(quoted)
                attest = parse_attest(attest_bytes)
                # Read exactly what the TPM says it quoted, in its order; keep the evidence bank.
                values: dict[int, bytes] = {}
                digest_input = b""
                for sel in attest.pcr_selections:
                    read = self._read(sel)
                    digest_input += b"".join(read.values())
                    if sel.hash_alg == HashAlg(bank):
                        values.update(read)
                if hashlib.sha256(digest_input).digest() == attest.pcr_digest:  # every AK signs with SHA-256
                    return QuoteEvidence(
                        attest_bytes, signature.marshal(), values, HashAlg(bank), self.event_log()
                    )
        raise TpmError("PCRs kept changing between the quote and reading them")

    def event_log(self) -> bytes | None:
        return read_event_log(self.event_log_path) if self.event_log_path is not None else None

    def activate_credential(self, credential_blob: bytes, encrypted_secret: bytes) -> bytes:
        blob = _unmarshal_exact(TPM2B_ID_OBJECT, credential_blob)
        secret = _unmarshal_exact(TPM2B_ENCRYPTED_SECRET, encrypted_secret)
        with self._lock:
            esys = self._open()
            try:
                with self._ek_loaded() as ek:
                    cert_info = self._with_ek_policy(
                        lambda s: esys.activate_credential(
                            self._ak, ek, blob, secret, session1=ESYS_TR.PASSWORD, session2=s
                        )
                    )
            except TSS2_Exception as exc:
                if exc.rc & TPM_LAYER_MASK == 0:  # the TPM refused it: not made for this EK and AK
                    raise ActivationFailed(f"TPM2_ActivateCredential failed: {exc}") from exc
                raise
        return bytes(cert_info)


def _indexes(pcrs: Sequence[int]) -> list[int]:
    pcrs = list(pcrs)
    if any(not isinstance(p, int) or not 0 <= p < PCR_COUNT for p in pcrs):
        raise ValueError(f"PCR indexes are 0..{PCR_COUNT - 1}")
    return pcrs


def _tpml(selection: PcrSelect) -> TPML_PCR_SELECTION:
    return TPML_PCR_SELECTION(
        [
            TPMS_PCR_SELECTION(
                hash=selection.hash_alg, sizeofSelect=len(selection.select), pcrSelect=selection.select
            )
        ]
    )


def _selected(sel: TPMS_PCR_SELECTION) -> tuple[int, ...]:
    return PcrSelect(int(sel.hash), bytes(sel.pcrSelect)[: sel.sizeofSelect]).pcrs


def _unmarshal_exact(cls, data: bytes):
    try:
        value, consumed = cls.unmarshal(bytes(data))
    except Exception as exc:  # tpm2-pytss raises TSS2_Exception or TypeError depending on the fault
        raise ActivationFailed(f"{cls.__name__} does not unmarshal: {exc}") from exc
    if consumed != len(data):
        raise ActivationFailed(f"{cls.__name__} has trailing bytes")
    return value
