"""The offline evidence format: one JSON object per line, verifiable with no database and no server.

{"device_id": str, "quote": base64 TPMS_ATTEST, "signature": base64 TPMT_SIGNATURE,
 "pcrs": {"0": hex, ...}, "hash_alg": "sha256", "nonce": hex,
 "ak_public": PEM SubjectPublicKeyInfo | base64 TPM2B_PUBLIC, "policy": {"0": hex, ...} (optional)}
"""
from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.evidence import BANK_BY_NAME, AttestationKey, KeyType, QuoteCheck, QuoteEvidence

BANKS = BANK_BY_NAME


class EvidenceLineError(ValueError):
    """A line that is not evidence; its message says which field is wrong."""


@lru_cache(maxsize=65536)  # a fleet file repeats each device's key on every line: decode it once
def _key(ak_public: str) -> AttestationKey:
    if ak_public.lstrip().startswith("-----BEGIN"):
        key = load_pem_public_key(ak_public.encode())
        if isinstance(key, ec.EllipticCurvePublicKey):
            key_type = KeyType.ECC
        elif isinstance(key, rsa.RSAPublicKey):
            key_type = KeyType.RSA
        else:
            raise EvidenceLineError("ak_public must be an RSA or EC key")
        return AttestationKey(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo), key_type)
    return attestation_key_from_public(base64.b64decode(ak_public, validate=True))


def _pcr_map(value, field: str) -> dict[int, bytes]:
    if not isinstance(value, dict):
        raise EvidenceLineError(f"{field} must be an object of PCR index to hex value")
    try:
        return {int(k): bytes.fromhex(v) for k, v in value.items()}
    except (TypeError, ValueError, AttributeError):
        raise EvidenceLineError(f"{field} must map PCR indexes to hex values") from None


def parse_line(text: str) -> tuple[str, QuoteCheck]:
    try:
        line = json.loads(text)
    except ValueError as exc:
        raise EvidenceLineError(f"not JSON: {exc}") from None
    if not isinstance(line, dict):
        raise EvidenceLineError("a line must be a JSON object")
    missing = {"device_id", "quote", "signature", "pcrs", "nonce", "ak_public"} - set(line)
    if missing:
        raise EvidenceLineError(f"missing fields: {', '.join(sorted(missing))}")
    bank = BANKS.get(line.get("hash_alg", "sha256"))
    if bank is None:
        raise EvidenceLineError(f"hash_alg must be one of {', '.join(BANKS)}")
    try:
        quote = base64.b64decode(line["quote"], validate=True)
        signature = base64.b64decode(line["signature"], validate=True)
        nonce = bytes.fromhex(line["nonce"])
        key = _key(line["ak_public"])
    except (TypeError, ValueError, binascii.Error) as exc:
        raise EvidenceLineError(f"bad quote, signature, nonce or ak_public: {exc}") from None
    policy = _pcr_map(line["policy"], "policy") if line.get("policy") is not None else None
    evidence = QuoteEvidence(quote, signature, _pcr_map(line["pcrs"], "pcrs"), bank)
    return str(line["device_id"]), QuoteCheck(evidence, key, nonce, policy)
