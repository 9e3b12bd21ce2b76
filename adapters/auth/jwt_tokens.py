"""Bearer tokens (JWT): HS256 with a shared secret, or ES256/RS256 with a key pair. ``alg`` is pinned."""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from jwt.types import Options

from adapters.clock import SystemClock
from domain.access import Principal, Role
from ports.clock import Clock

REQUIRED_CLAIMS = ["exp", "iat", "sub", "role"]
ISSUER = "edgefleet"
DEFAULT_LEEWAY_SECONDS = 5  # EDGEFLEET_JWT_LEEWAY: clock skew tolerated between issuer and server
# Times are checked here against the injected clock, not by PyJWT against the system's.
_SIGNATURE_AND_CLAIMS_ONLY: Options = {
    "require": REQUIRED_CLAIMS,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
}


class InvalidToken(Exception):
    """Any reason a token is not accepted; the message is safe to show the caller."""


@dataclass(frozen=True)
class TokenKeys:
    algorithm: str  # HS256 | ES256 | RS256
    verify_key: str | bytes
    signing_key: str | bytes | None  # None: this process can verify but not issue


class TokenService:
    def __init__(
        self,
        keys: TokenKeys,
        *,
        clock: Clock | None = None,
        leeway_seconds: int = DEFAULT_LEEWAY_SECONDS,
        remembered: int = 4096,
    ) -> None:
        self._keys = keys
        self._clock = clock or SystemClock()
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
        now = self._clock.now().timestamp()
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if now < expires + self._leeway:
                return principal
            del self._verified[token]
        principal, expires = self._verify_signed(token, now)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str, now: float) -> tuple[Principal, int]:
        try:
            claims = jwt.decode(
                token,
                self._keys.verify_key,
                algorithms=[self._keys.algorithm],  # pinned: never trust the header's alg
                options=_SIGNATURE_AND_CLAIMS_ONLY,
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from exc
        exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf", 0)
        if not all(_is_time(value) for value in (exp, iat, nbf)):
            raise InvalidToken("invalid token: exp, iat and nbf must be finite numbers")
        if now >= exp + self._leeway:
            raise InvalidToken("token expired")
        if max(iat, nbf) > now + self._leeway:
            raise InvalidToken("invalid token: not yet valid")
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("invalid token: bad subject")
        try:
            return Principal(subject=subject, role=Role(str(role))), int(exp)
        except ValueError as exc:
            raise InvalidToken("invalid token: unknown role") from exc


def _is_time(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
