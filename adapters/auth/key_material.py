"""Where token keys come from: a configured secret or key pair, else a dev secret generated once."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from adapters.auth.jwt_tokens import TokenKeys


def _pem(value: str) -> bytes:
    """Accept PEM text itself or a path to a PEM file."""
    if "-----BEGIN" in value:
        return value.encode()
    return Path(value).read_bytes()


def _algorithm_for(public_key) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ES256"
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RS256"
    raise ValueError("EDGEFLEET_JWT_PUBLIC_KEY must be an EC P-256 or RSA public key")


def load_token_keys(
    secret: str | None, public_key: str | None, private_key: str | None, var_dir: Path
) -> TokenKeys:
    if public_key:
        verify = _pem(public_key)
        algorithm = _algorithm_for(load_pem_public_key(verify))
        signing = None
        if private_key:
            signing = _pem(private_key)
            load_pem_private_key(signing, password=None)  # fail at start-up, not at first use
        return TokenKeys(algorithm=algorithm, verify_key=verify, signing_key=signing)
    if secret:
        if len(secret) < 32:
            raise ValueError("EDGEFLEET_JWT_SECRET must be at least 32 characters")
        return TokenKeys(algorithm="HS256", verify_key=secret, signing_key=secret)
    dev_secret = _dev_secret(var_dir / "jwt-secret")
    return TokenKeys(algorithm="HS256", verify_key=dev_secret, signing_key=dev_secret)


def _dev_secret(path: Path) -> str:
    """A local development secret, created once with owner-only permissions and reused after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        value = secrets.token_urlsafe(48)
        handle.write(value)
    return value
