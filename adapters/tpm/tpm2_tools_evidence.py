"""Evidence from tpm2-tools output files, so quotes made by the stock CLI verify as ours do.

    tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub     # ak.pub: TPM2B_PUBLIC
    tpm2_quote -c ak.ctx -l sha256:0,1,7 -q NONCE_HEX -g sha256 \\
               -m quote.msg -s quote.sig -o quote.pcrs -F values              # no -f plain

quote.msg is the TPMS_ATTEST exactly as signed, quote.sig the TSS-marshalled TPMT_SIGNATURE, and
quote.pcrs (``-F values``) the PCR digests concatenated in the quoted selection's order, bank by bank.
These map one to one onto the offline ``--evidence`` JSON line (see ``evidence_line``).
"""

from __future__ import annotations

import base64
from pathlib import Path

from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.evidence import AttestationKey, HashAlg, QuoteEvidence
from domain.attestation.tpm_wire import parse_attest


def evidence_from_tpm2_quote(
    msg: bytes, sig: bytes, pcrs: bytes, bank: HashAlg = HashAlg.SHA256
) -> QuoteEvidence:
    """Raises ValueError when the message does not parse or the PCR file does not fit its selection."""
    bank = HashAlg(bank)
    selections = parse_attest(msg).pcr_selections  # the selection says how to cut the values file
    values: dict[int, bytes] = {}
    offset = 0
    for sel in selections:
        try:
            size = HashAlg(sel.hash_alg).digest_size
        except ValueError:
            raise ValueError(f"the quote selects unknown PCR bank 0x{sel.hash_alg:04x}") from None
        for pcr in sel.pcrs:
            if offset + size > len(pcrs):
                raise ValueError("the PCR file is shorter than the quoted selection")
            if sel.hash_alg == bank:
                values[pcr] = pcrs[offset : offset + size]
            offset += size
    if offset != len(pcrs):
        raise ValueError("the PCR file is longer than the quoted selection (was it written with -F values?)")
    return QuoteEvidence(bytes(msg), bytes(sig), values, bank)


def evidence_from_tpm2_quote_files(
    msg_path: Path | str, sig_path: Path | str, pcrs_path: Path | str, bank: HashAlg = HashAlg.SHA256
) -> QuoteEvidence:
    return evidence_from_tpm2_quote(
        Path(msg_path).read_bytes(), Path(sig_path).read_bytes(), Path(pcrs_path).read_bytes(), bank
    )


def attestation_key_from_tpm2_public_file(path: Path | str) -> AttestationKey:
    """The AK from ``tpm2_createak -u`` (or ``tpm2_readpublic -o``): a marshalled TPM2B_PUBLIC."""
    return attestation_key_from_public(Path(path).read_bytes())


def evidence_line(
    device_id: str,
    evidence: QuoteEvidence,
    nonce: bytes,
    ak_public: bytes,
    policy: dict[int, bytes] | None = None,
) -> dict:
    """One object of the offline ``edgefleet attest --evidence FILE.jsonl`` format."""
    line = {
        "device_id": device_id,
        "quote": base64.b64encode(evidence.quote).decode(),
        "signature": base64.b64encode(evidence.signature).decode(),
        "pcrs": {str(pcr): value.hex() for pcr, value in evidence.pcr_values.items()},
        "hash_alg": HashAlg(evidence.hash_alg).name.lower(),
        "nonce": bytes(nonce).hex(),
        "ak_public": base64.b64encode(ak_public).decode(),
    }
    if policy is not None:
        line["policy"] = {str(pcr): value.hex() for pcr, value in policy.items()}
    if evidence.event_log is not None:
        line["event_log"] = base64.b64encode(evidence.event_log).decode()
    return line
