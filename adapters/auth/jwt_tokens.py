"""Bearer tokens (JWT): HS256 with a shared secret, or ES256/RS256 with a key pair. ``alg`` is pinned."""
from __future__ import annotations

import time
import uuid
from collections import OrderedDict
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
    def __init__(self, keys: TokenKeys, leeway_seconds: int = 30, remembered: int = 4096) -> None:
        self._keys = keys
        self._leeway = leeway_seconds
        # Tokens already verified, with their expiry: a client sends the same token on every request,
        # and checking its signature again costs more than the rest of a cached listing.
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()
        self._remembered = remembered

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
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires + self._leeway:
                return principal
            del self._verified[token]
        principal, expires = self._verify_signed(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, int]:
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
            return Principal(subject=subject, role=Role(role)), int(claims["exp"])
        except ValueError as exc:
            raise InvalidToken("invalid token: unknown role") from exc
