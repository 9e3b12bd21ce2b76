"""Bearer tokens (JWT): HS256 with a shared secret, or ES256/RS256 with a key pair. ``alg`` is pinned."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from domain.access import Principal, Role

REQUIRED_CLAIMS = ["exp", "iat", "sub", "role"]
ISSUER = "edgefleet"


class InvalidToken(Exception):
    """Any reason a token is not accepted; the message is safe to show the caller."""


@dataclass(frozen=True)
class TokenKeys:
    algorithm: str  # HS256 | ES256 | RS256
    verify_key: str | bytes
    signing_key: str | bytes | None  # None: this process can verify but not issue


class TokenService:
    def __init__(self, keys: TokenKeys, leeway_seconds: int = 30) -> None:
        self._keys = keys
        self._leeway = leeway_seconds

    def issue(self, subject: str, role: Role, ttl: timedelta, now: datetime) -> str:
        if self._keys.signing_key is None:
            raise InvalidToken("no signing key configured (set EDGEFLEET_JWT_PRIVATE_KEY)")
        claims = {
            "sub": subject,
            "role": Role(role).value,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "iss": ISSUER,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._keys.signing_key, algorithm=self._keys.algorithm)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._keys.verify_key,
                algorithms=[self._keys.algorithm],  # pinned: never trust the header's alg
                options={"require": REQUIRED_CLAIMS},
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from exc
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("invalid token: bad subject")
        try:
            return Principal(subject=subject, role=Role(role))
        except ValueError as exc:
            raise InvalidToken("invalid token: unknown role") from exc
