"""Seed corpora for fuzz_verify and fuzz_scan from the known-answer vectors (tests/data/native_vectors).

    python3 native/fuzz/make_corpus.py OUT_DIR [SCAN_OUT_DIR]

Standard library only. Each vector becomes two inputs in fuzz_verify.c's layout: full verification
(its signature fails under the fuzzer's own keys, but parsing and the early checks run) and
digest-only (so the nonce, PCR and policy checks are reached too). For fuzz_scan, each vector becomes
an evidence line (the offline format), alone and in a block with a copy of itself laid out otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "data" / "native_vectors"
BANK_BITS = {"sha256": 0, "sha1": 1, "sha384": 2}
SCHEME_BITS = {None: 0, "rsassa": 1, "rsapss": 2, "ecdsa": 3}
HASH_BITS = {"sha256": 0, "sha1": 1, "sha512": 2}


def encode(doc: dict, digest_only: bool) -> bytes:
    key = doc["key"]
    control = (
        int(digest_only) | (0 if key["type"] == "ecc" else 1) << 1 | BANK_BITS.get(doc["hash_alg"], 3) << 3
    )
    keybits = SCHEME_BITS.get(key["scheme"], 0) | HASH_BITS.get(key["hash_alg"], 3) << 2
    quote, sig, nonce = (
        base64.b64decode(doc["quote"]),
        base64.b64decode(doc["signature"]),
        bytes.fromhex(doc["nonce"]),
    )
    out = bytearray([control, keybits])
    out += len(quote).to_bytes(2, "big") + quote + len(sig).to_bytes(2, "big") + sig
    out += bytes([len(nonce) & 0xFF]) + nonce[:255]
    for values in (doc["pcrs"], doc["policy"] or {}):
        usable = {int(i): bytes.fromhex(v) for i, v in values.items() if 0 <= int(i) < 256}
        out += bytes([len(usable)]) + bytes(usable) + b"".join(usable.values())
    return bytes(out)


def evidence_line(doc: dict, compact: bool) -> bytes:
    line = {
        "device_id": doc["name"],
        "quote": doc["quote"],
        "signature": doc["signature"],
        "pcrs": doc["pcrs"],
        "hash_alg": doc["hash_alg"],
        "nonce": doc["nonce"],
        "ak_public": doc["key"].get("spki", "AAAA"),
        "policy": doc["policy"],
        "ak": doc["key"]["type"],
    }
    return json.dumps(line, separators=(",", ":") if compact else None).encode()


def scan_seeds(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(VECTORS.glob("*.json")):
        doc = json.loads(path.read_text())
        for data in (evidence_line(doc, True), evidence_line(doc, True) + b"\n" + evidence_line(doc, False)):
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
            count += 1
    return count


def main(out_dir: str, scan_dir: str | None = None) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(VECTORS.glob("*.json")):
        doc = json.loads(path.read_text())
        for digest_only in (False, True):
            data = encode(doc, digest_only)
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
            count += 1
    print(f"{count} seeds in {out}")
    if scan_dir is not None:
        print(f"{scan_seeds(Path(scan_dir))} evidence line seeds in {scan_dir}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
