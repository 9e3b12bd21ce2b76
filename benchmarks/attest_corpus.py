"""The corpus of issue 14's benchmark: N evidence lines (the ``edgefleet attest --evidence`` format) from
simulated TPMs, half ECDSA P-256 (one AK per device) and half RSASSA-2048 (AKs shared round-robin:
deriving an RSA key costs ~0.5 s), PCRs 0-7 of the SHA-256 bank, a fresh 32-byte nonce per quote, each
device's reference policy; every quote passes every check. Lines alternate ECDSA and RSA so any prefix
is mixed. RSA-PSS is left out because Keylime's ``checkquote`` refuses it (benchmarks compare both on
the same corpus). Beside it, the same quotes as Keylime's ``checkquote`` takes them: PEM AK, base64
nonce, TPMT_SIGNATURE, TPMS_ATTEST and a tpm2-tools PCR file (little-endian ``tpm2_pcrs`` layout)."""

from __future__ import annotations

import base64
import json
import secrets
import struct
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from adapters.tpm.fleet import build_fleet
from adapters.tpm.tpm2_tools_evidence import evidence_line
from adapters.verifiers.keys import public_key
from domain.attestation.evidence import HashAlg
from domain.attestation.tpm_public import parse_public

PCRS = list(range(8))
DEVICES = 1000  # per algorithm


def tpm2_tools_pcr_file(values: dict[int, bytes], bank: int = HashAlg.SHA256) -> bytes:
    """tpm2_quote -o in its default (memory-dump) format: one selection of PCRs 0..7, one TPML_DIGEST."""
    mask = sum(1 << pcr for pcr in values)
    selections = struct.pack("<HB3sxx", bank, 3, mask.to_bytes(3, "little"))
    selections += struct.pack("<HB3sxx", 0, 0, b"\0\0\0") * 15
    digests = b"".join(struct.pack("<H", len(v)) + v.ljust(64, b"\0") for v in values.values())
    digests += (struct.pack("<H", 0) + b"\0" * 64) * (8 - len(values))  # a TPML_DIGEST has room for 8
    return struct.pack("<I", 1) + selections + struct.pack("<I", 1) + struct.pack("<I", len(values)) + digests


def generate(count: int, evidence_path: Path, keylime_path: Path) -> None:
    fleets = {
        ak: list(build_fleet(DEVICES, seed="bench-attest", ak=ak, rsa_pool=8).values())
        for ak in ("ecc", "rsassa")
    }
    for fleet in fleets.values():
        for i, tpm in enumerate(fleet):
            tpm.pcr_extend(i % 8, i.to_bytes(32, "big"))  # devices differ in their measured state
    pems: dict[bytes, str] = {}
    with evidence_path.open("w") as evidence_out, keylime_path.open("w") as keylime_out:
        for i in range(count):
            ak = "ecc" if i % 2 == 0 else "rsassa"
            device = (i // 2) % DEVICES
            tpm = fleets[ak][device]
            nonce = secrets.token_bytes(32)
            evidence = tpm.quote(nonce, PCRS)
            ak_public = tpm.ak_public()
            line = evidence_line(f"{ak}-{device:04d}", evidence, nonce, ak_public, policy=tpm.pcr_read(PCRS))
            line["ak"] = ak  # ignored by the verifier; lets the benchmark split the corpus per algorithm
            evidence_out.write(json.dumps(line) + "\n")
            if ak_public not in pems:
                pems[ak_public] = (
                    public_key(parse_public(ak_public))
                    .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
                    .decode()
                )
            keylime_out.write(
                json.dumps(
                    {
                        "ak": ak,
                        "aik_pem": pems[ak_public],
                        "nonce": base64.b64encode(nonce).decode(),
                        "sig": line["signature"],
                        "quote": line["quote"],
                        "pcrs": base64.b64encode(tpm2_tools_pcr_file(evidence.pcr_values)).decode(),
                    }
                )
                + "\n"
            )
