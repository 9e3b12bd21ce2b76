"""Key templates and on-disk AK state for PytssTpm.

The EK follows the TCG EK Credential Profile (RSA-2048, low range), so a challenger can run
MakeCredential against its public area; the AK is shaped like tpm2_createak's keys.
"""

from __future__ import annotations

import os
from pathlib import Path

from tpm2_pytss import ESAPI
from tpm2_pytss.constants import TPM2_CAP, TPM2_HC, TPMA_OBJECT
from tpm2_pytss.types import TPM2B_PRIVATE, TPM2B_PUBLIC
from tpm2_pytss.utils import NoSuchIndex, NVReadEK, create_ek_template

from adapters.tpm.simulated import AkAlgorithm

AK_ATTRIBUTES = (
    TPMA_OBJECT.RESTRICTED
    | TPMA_OBJECT.SIGN_ENCRYPT
    | TPMA_OBJECT.FIXEDTPM
    | TPMA_OBJECT.FIXEDPARENT
    | TPMA_OBJECT.SENSITIVEDATAORIGIN
    | TPMA_OBJECT.USERWITHAUTH
)
# The scheme is fixed in the key (not NULL) so the verifier can insist on it.
AK_SPECS = {
    AkAlgorithm.ECC: "ecc256:ecdsa-sha256:null",
    AkAlgorithm.RSASSA: "rsa2048:rsassa-sha256:null",
    AkAlgorithm.RSAPSS: "rsa2048:rsapss-sha256:null",
}
EK_TYPE = "EK-RSA2048"


def ak_template(algorithm: AkAlgorithm) -> TPM2B_PUBLIC:
    return TPM2B_PUBLIC.parse(AK_SPECS[AkAlgorithm(algorithm)], objectAttributes=AK_ATTRIBUTES)


def ek_template(esys: ESAPI) -> tuple[bytes | None, TPM2B_PUBLIC]:
    """The EK template (with the manufacturer's NV template/nonce when provisioned) and its certificate."""
    cert, template = create_ek_template(EK_TYPE, _QuietNvRead(esys))
    return (bytes(cert) if cert else None), template


class _QuietNvRead:
    """NVReadEK, but absent indexes are found from the handle list first: ESYS logs an ERROR line
    for every failed TR_FromTPMPublic, and most TPMs (swtpm included) lack the optional ones."""

    def __init__(self, esys: ESAPI) -> None:
        self._read = NVReadEK(esys)
        self._defined: set[int] = set()
        more, start = True, int(TPM2_HC.NV_INDEX_FIRST)
        while more:
            more, data = esys.get_capability(TPM2_CAP.HANDLES, start, 64)
            handles = [int(h) for h in data.data.handles]
            self._defined.update(handles)
            start = max(handles, default=start) + 1

    def __call__(self, index: int) -> bytes:
        if int(index) not in self._defined:
            raise NoSuchIndex(index)
        return self._read(index)


class AkStore:
    """The AK's wrapped private and public blobs, one pair per algorithm, in ``state_dir``.

    The EK is re-derived from the endorsement seed on every start (same template, same key), so the
    saved AK loads under it again and keeps its Name: the enrolment stays valid across restarts."""

    def __init__(self, state_dir: Path | str) -> None:
        self.dir = Path(state_dir)

    def load(self, algorithm: AkAlgorithm) -> tuple[TPM2B_PRIVATE, TPM2B_PUBLIC] | None:
        priv_path, pub_path = self._paths(algorithm)
        if not (priv_path.exists() and pub_path.exists()):
            return None
        private, _ = TPM2B_PRIVATE.unmarshal(priv_path.read_bytes())
        public, _ = TPM2B_PUBLIC.unmarshal(pub_path.read_bytes())
        return private, public

    def save(self, algorithm: AkAlgorithm, private: TPM2B_PRIVATE, public: TPM2B_PUBLIC) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for path, blob in zip(self._paths(algorithm), (private.marshal(), public.marshal()), strict=True):
            tmp = path.with_suffix(path.suffix + ".tmp")  # write then rename: no half-written key
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, path)

    def _paths(self, algorithm: AkAlgorithm) -> tuple[Path, Path]:
        stem = f"ak-{AkAlgorithm(algorithm).value}"
        return self.dir / f"{stem}.priv", self.dir / f"{stem}.pub"
