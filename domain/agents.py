"""How devices get in and prove who they are: one-time enrolment tokens and device credentials.

Both secrets are random 256-bit values shown once; only their SHA-256 is stored (high-entropy secrets
need no slow hash), and comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.bounded import make_room
from domain.errors import DomainError
from ports.signals import Signals

TOKEN_TTL_DEFAULT = timedelta(hours=24)
TOKEN_TTL_MAX = timedelta(days=30)


class EnrolmentTokenInvalid(DomainError):
    code = "UNAUTHORIZED"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(eq=False)
class EnrollmentToken:
    token_hash: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    device_id: str | None = None  # when set, only this device id may enrol with it
    used_at: datetime | None = None
    used_by_device: str | None = None
    id: int | None = field(default=None)

    @classmethod
    def issue(
        cls, created_by: str, now: datetime, ttl: timedelta = TOKEN_TTL_DEFAULT, device_id: str | None = None
    ) -> tuple[EnrollmentToken, str]:
        secret = "et_" + new_secret()
        token = cls(
            token_hash=digest(secret),
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
            device_id=device_id,
        )
        return token, secret

    def redeem(self, device_id: str, now: datetime) -> None:
        if self.used_at is not None:
            raise EnrolmentTokenInvalid("Enrolment token was already used")
        if now >= self.expires_at:
            raise EnrolmentTokenInvalid("Enrolment token expired")
        if self.device_id is not None and self.device_id != device_id:
            raise EnrolmentTokenInvalid("Enrolment token is bound to another device")
        self.used_at, self.used_by_device = now, device_id


@dataclass(eq=False)
class DeviceCredential:
    device_id: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def issue(cls, device_id: str, now: datetime) -> tuple[DeviceCredential, str]:
        secret = new_secret()
        return cls(device_id=device_id, secret_hash=digest(secret), created_at=now), f"{device_id}.{secret}"

    def accepts(self, secret: str) -> bool:
        return self.revoked_at is None and hmac.compare_digest(self.secret_hash, digest(secret))


def split_credential(credential: str) -> tuple[str, str] | None:
    """``<device_id>.<secret>`` -> (device_id, secret); the secret never contains a dot."""
    device_id, dot, secret = credential.rpartition(".")
    return (device_id, secret) if dot and device_id and secret else None


class RecentCredentials:
    """Device credentials verified in the last ``ttl``, so a heartbeat does not pay a database round trip
    to prove who sent it. A revocation (re-enrolment replaces a credential, decommissioning retires a
    device) is forgotten at once here, including a check that was still reading the database when it
    landed, and on every other API worker as soon as Signals reaches it (within ``ttl`` at worst).
    Only SHA-256 digests of whole credentials are kept."""

    TOPIC = "cache:credential:"

    def __init__(
        self, ttl: timedelta = timedelta(seconds=600), capacity: int = 100_000, signals: Signals | None = None
    ) -> None:
        self._ttl, self._capacity = ttl, capacity
        self._signals = signals
        if signals is not None:
            signals.listen(self.TOPIC, self._on_signal)
        self._by_digest: dict[str, tuple[str, datetime]] = {}  # digest -> (device id, valid until)
        self._by_device: dict[str, str] = {}  # device id -> digest of its one current credential
        self._revocations: dict[str, int] = {}  # device id -> how often it was forgotten

    def device_for(self, credential: str, now: datetime) -> str | None:
        found = self._by_digest.get(digest(credential))
        return found[0] if found is not None and now < found[1] else None

    def revision(self, device_id: str) -> int:
        """Read before checking a credential in the database; ``remember`` takes it back."""
        return self._revocations.get(device_id, 0)

    def remember(self, credential: str, device_id: str, now: datetime, revision: int) -> None:
        if self._ttl <= timedelta(0) or self._revocations.get(device_id, 0) != revision:
            return  # revoked while the check was reading the database: not trusted, not cached
        for device, _ in make_room(self._by_digest, self._capacity):
            self._by_device.pop(device, None)
        key = digest(credential)
        previous = self._by_device.pop(device_id, None)
        if previous is not None:
            self._by_digest.pop(previous, None)
        self._by_digest[key] = (device_id, now + self._ttl)
        self._by_device[device_id] = key

    def forget(self, device_id: str) -> None:
        """Revoke here (at once) and on every other worker."""
        if self._signals is None:
            self._forget_here(device_id)
        else:
            self._signals.publish(self.TOPIC + device_id)  # delivered here at once too

    def _on_signal(self, topic: str) -> None:
        device_id = topic.removeprefix(self.TOPIC)
        if device_id:
            self._forget_here(device_id)
        else:  # the channel was lost: a revocation may have been missed
            for device in list(self._by_device):
                self._forget_here(device)

    def _forget_here(self, device_id: str) -> None:
        self._revocations[device_id] = self._revocations.get(device_id, 0) + 1
        key = self._by_device.pop(device_id, None)
        if key is not None:
            self._by_digest.pop(key, None)
