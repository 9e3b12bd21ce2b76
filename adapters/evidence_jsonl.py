"""The offline evidence format: one JSON object per line, verifiable with no database and no server.

{"device_id": str, "quote": base64 TPMS_ATTEST, "signature": base64 TPMT_SIGNATURE,
 "pcrs": {"0": hex, ...}, "hash_alg": "sha256", "nonce": hex,
 "ak_public": PEM SubjectPublicKeyInfo | base64 TPM2B_PUBLIC, "policy": {"0": hex, ...} (optional),
 "event_log": base64 TCG boot event log (optional), "event_policy": {"boot_applications": [hex], ...} (optional)}

Lines are decoded by msgspec straight into ``EvidenceLine`` (base64 included). A fleet's file repeats
each device's key, PCR values and policy on line after line, so each distinct one is converted once and
shared (bounded caches): a shared policy object is also what lets the native verifier flatten it once.
Unknown fields are ignored, so files from newer writers still verify here.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import NamedTuple

import msgspec

from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.evidence import BANK_BY_NAME, AttestationKey, KeyType, QuoteCheck, QuoteEvidence
from domain.attestation.policy import PolicyScope
from domain.bounded import make_room
from domain.errors import ValidationFailed
from domain.measured_boot.policy import EventPolicy

NO_FIELD = msgspec.Raw()


class EvidenceLineError(ValueError):
    """A line that is not evidence; its message says which field is wrong."""


class EvidenceLine(msgspec.Struct):
    """One line as written. New fields (e.g. an event log) join as optional fields with defaults."""

    device_id: str | int
    quote: bytes  # base64 in the file: msgspec decodes it
    signature: bytes
    pcrs: msgspec.Raw  # converted through a cache keyed by the raw JSON text
    nonce: str
    ak_public: str
    hash_alg: str = "sha256"
    policy: msgspec.Raw = NO_FIELD  # absent or null: no reference policy
    event_log: bytes | None = None  # base64 in the file: the boot event log sent with the quote
    event_policy: msgspec.Raw = NO_FIELD  # absent or null: the log is only replayed against the quote


class Decoded(NamedTuple):
    device_id: str
    check: QuoteCheck
    event_policy: EventPolicy | None


_decode = msgspec.json.Decoder(EvidenceLine).decode
_decode_pcr_map = msgspec.json.Decoder(dict[str, str]).decode


def decode_line(raw: bytes | memoryview) -> Decoded:
    """(device_id, check, event policy) of one line's bytes; EvidenceLineError names what is wrong."""
    try:
        line = _decode(raw)
    except msgspec.DecodeError as exc:  # ValidationError included: a wrong or missing field
        raise EvidenceLineError(
            str(exc) if isinstance(exc, msgspec.ValidationError) else f"not JSON: {exc}"
        ) from None
    bank = BANK_BY_NAME.get(line.hash_alg)
    if bank is None:
        raise EvidenceLineError(f"hash_alg must be one of {', '.join(BANK_BY_NAME)}")
    try:
        nonce = bytes.fromhex(line.nonce)
    except ValueError:
        raise EvidenceLineError("nonce must be hex") from None
    key = key_of(line.ak_public)
    policy = None if line.policy is NO_FIELD else _policy[bytes(line.policy)]
    event_policy = None if line.event_policy is NO_FIELD else _event_policy[bytes(line.event_policy)]
    evidence = QuoteEvidence(line.quote, line.signature, _pcrs[bytes(line.pcrs)], bank, line.event_log)
    return Decoded(str(line.device_id), QuoteCheck(evidence, key, nonce, policy), event_policy)


class _Shared(dict):
    """Raw JSON text -> its converted value, made once and shared by every line that repeats the text
    (bounded; a dict, so a hit costs one C-level lookup). The values are never mutated."""

    def __init__(self, convert, capacity: int = 16384) -> None:
        super().__init__()
        self._convert, self._capacity = convert, capacity

    def __missing__(self, text: bytes):
        value = self._convert(text)  # raises EvidenceLineError: nothing is kept
        make_room(self, self._capacity)
        self[text] = value
        return value


def _pcr_map(text: bytes, field: str) -> dict[int, bytes]:
    try:
        return {int(k): bytes.fromhex(v) for k, v in _decode_pcr_map(text).items()}
    except (msgspec.DecodeError, ValueError):
        raise EvidenceLineError(f"{field} must map PCR indexes to hex values") from None


_pcrs = _Shared(lambda text: _pcr_map(text, "pcrs"))
_policy = _Shared(lambda text: None if text == b"null" else _pcr_map(text, "policy"))
OFFLINE_SCOPE = PolicyScope.for_device("evidence-file")  # rules judge the log, whoever's it is


def _event_policy_of(text: bytes) -> EventPolicy | None:
    try:
        document = _decode_document(text)
        return None if document is None else EventPolicy.from_dict(OFFLINE_SCOPE, document)
    except (msgspec.DecodeError, ValidationFailed) as exc:
        raise EvidenceLineError(f"event_policy: {exc}") from None


_decode_document = msgspec.json.Decoder(dict | None).decode
_event_policy = _Shared(_event_policy_of)


@lru_cache(maxsize=16384)  # a fleet file repeats each device's key on every line: decode it once
def key_of(ak_public: str) -> AttestationKey:
    """The AttestationKey of an ``ak_public`` text; EvidenceLineError when it is not a usable key."""
    try:
        if ak_public.lstrip().startswith("-----BEGIN"):
            return _pem_key(ak_public)
        return attestation_key_from_public(base64.b64decode(ak_public, validate=True))
    except (TypeError, ValueError, binascii.Error) as exc:
        raise EvidenceLineError(f"bad ak_public: {exc}") from None


def _pem_key(ak_public: str) -> AttestationKey:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    key = load_pem_public_key(ak_public.encode())
    if isinstance(key, ec.EllipticCurvePublicKey):
        key_type = KeyType.ECC
    elif isinstance(key, rsa.RSAPublicKey):
        key_type = KeyType.RSA
    else:
        raise EvidenceLineError("ak_public must be an RSA or EC key")
    return AttestationKey(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo), key_type)
