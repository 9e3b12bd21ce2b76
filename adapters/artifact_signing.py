"""Ed25519 signatures over firmware artifacts' SHA-256 digests: the server signs, the agent checks."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _pem(text_or_path: str) -> bytes:
    """PEM given inline, or the path of a file holding it."""
    if "-----BEGIN" in text_or_path:
        return text_or_path.encode()
    return Path(text_or_path).read_bytes()


class Ed25519ArtifactSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def from_pem(cls, text_or_path: str) -> Ed25519ArtifactSigner:
        key = serialization.load_pem_private_key(_pem(text_or_path), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SystemExit("EDGEFLEET_ROLLOUT_SIGNING_KEY must be an Ed25519 private key (PEM)")
        return cls(key)

    def sign(self, sha256_hex: str) -> str:
        return base64.b64encode(self._key.sign(bytes.fromhex(sha256_hex))).decode()


def load_signer(text_or_path: str | None) -> Ed25519ArtifactSigner | None:
    return Ed25519ArtifactSigner.from_pem(text_or_path) if text_or_path else None


def load_public_key(text_or_path: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(_pem(text_or_path))
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit("--update-public-key must be an Ed25519 public key (PEM)")
    return key


def signature_problem(key: Ed25519PublicKey, sha256_hex: object, signature: object) -> str | None:
    """Why an update must not be installed (None: the signature verifies)."""
    if not isinstance(signature, str) or not signature:
        return "the update carries no signature and this device requires one (--update-public-key)"
    try:
        key.verify(base64.b64decode(signature, validate=True), bytes.fromhex(str(sha256_hex)))
    except (InvalidSignature, ValueError):
        return "the update's signature does not verify against this device's update key"
    return None
