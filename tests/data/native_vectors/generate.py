"""Known-answer vectors for the quote verifiers: one JSON file per case, made with the simulated TPM.

    .venv/bin/python tests/data/native_vectors/generate.py     # rewrites the *.json files beside it

Each case states the reason it is meant to produce; generation fails unless the pure-Python reference
agrees, so a vector is the check order of evidence.py written down. ECDSA signatures are randomised,
so regenerating changes the signature bytes, never the expected verdicts. Also converts the tpm2_quote
vectors (tests/data/tpm2_quote, made by tpm2-tools on swtpm) when they are there.

File format (bytes as base64, PCR values and nonces as hex, hash algorithms by name or TPM_ALG_ID):
    {"name", "description", "quote", "signature", "pcrs": {"0": hex}, "hash_alg": "sha256",
     "nonce": hex, "key": {"spki", "type": "ecc"|"rsa", "scheme": null|"rsassa"|"rsapss"|"ecdsa",
     "hash_alg"}, "policy": null | {"7": hex}, "expected": {"reason": null|str, "mismatched_pcrs": []}}
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from domain.attestation.evidence import (  # noqa: E402
    AttestationKey,
    HashAlg,
    KeyType,
    QuoteCheck,
    QuoteEvidence,
    QuoteResult,
    Reason,
    SigScheme,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


# -- reading and writing ---------------------------------------------------------------------------
def _alg_name(alg) -> str | int:
    try:
        return HashAlg(alg).name.lower()
    except ValueError:
        return int(alg)


def _alg(value) -> int:
    return HashAlg[value.upper()] if isinstance(value, str) else value


def _hexmap(values) -> dict[str, str] | None:
    return None if values is None else {str(i): bytes(v).hex() for i, v in values.items()}


def _unhexmap(values) -> dict[int, bytes] | None:
    return None if values is None else {int(i): bytes.fromhex(v) for i, v in values.items()}


def to_json(name: str, description: str, check: QuoteCheck, expected: QuoteResult) -> dict:
    ev, key = check.evidence, check.key
    return {
        "name": name,
        "description": description,
        "quote": base64.b64encode(ev.quote).decode(),
        "signature": base64.b64encode(ev.signature).decode(),
        "pcrs": _hexmap(ev.pcr_values),
        "hash_alg": _alg_name(ev.hash_alg),
        "nonce": check.nonce.hex(),
        "key": {
            "spki": base64.b64encode(key.spki_der).decode(),
            "type": str(key.key_type),
            "scheme": None if key.scheme is None else SigScheme(key.scheme).name.lower(),
            "hash_alg": _alg_name(key.hash_alg),
        },
        "policy": _hexmap(check.policy),
        "expected": {
            "reason": None if expected.reason is None else str(expected.reason),
            "mismatched_pcrs": list(expected.mismatched_pcrs),
        },
    }


def from_json(doc: dict) -> tuple[QuoteCheck, QuoteResult]:
    key = doc["key"]
    evidence = QuoteEvidence(
        base64.b64decode(doc["quote"]),
        base64.b64decode(doc["signature"]),
        _unhexmap(doc["pcrs"]),
        _alg(doc["hash_alg"]),
    )
    attestation_key = AttestationKey(
        base64.b64decode(key["spki"]),
        KeyType(key["type"]),
        None if key["scheme"] is None else SigScheme[key["scheme"].upper()],
        _alg(key["hash_alg"]),
    )
    check = QuoteCheck(evidence, attestation_key, bytes.fromhex(doc["nonce"]), _unhexmap(doc["policy"]))
    reason = doc["expected"]["reason"]
    return check, QuoteResult(
        None if reason is None else Reason(reason), tuple(doc["expected"]["mismatched_pcrs"])
    )


def load_all(folder: Path = HERE) -> dict[str, tuple[QuoteCheck, QuoteResult]]:
    return {p.stem: from_json(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))}


# -- the cases -------------------------------------------------------------------------------------
def main() -> None:
    from adapters.verifiers.python_ref import PythonQuoteVerifier
    from tests.data.native_vectors.vector_cases import all_cases

    reference = PythonQuoteVerifier()
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, description, check, reason, mismatched in all_cases():
        got = reference.verify_one(check)
        wanted = QuoteResult(reason, tuple(mismatched))
        if got != wanted:
            raise SystemExit(
                f"{name}: the reference says {got.reason} {got.mismatched_pcrs}, the case means "
                f"{reason} {tuple(mismatched)}"
            )
        doc = to_json(name, description, check, wanted)
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(list(HERE.glob('*.json')))} vectors to {HERE}")


if __name__ == "__main__":
    main()
