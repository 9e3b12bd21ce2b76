"""Attestation nonces: random, single use, bound to one device, short-lived."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.attestation.evidence import HashAlg

DEFAULT_NONCE_TTL = timedelta(seconds=60)
NONCE_BYTES = 32
MIN_NONCE_BYTES = 16


class NonceStatus(StrEnum):
    """What consuming a nonce found: only VALID lets a quote pass the freshness check."""

    VALID = "valid"
    EXPIRED = "expired"
    REUSED = "reused"
    UNKNOWN = "unknown"  # never issued, or issued to another device


@dataclass(frozen=True)
class Nonce:
    device_id: str
    value: bytes
    issued_at: datetime
    expires_at: datetime

    def __post_init__(self) -> None:
        if len(self.value) < MIN_NONCE_BYTES:
            raise ValueError(f"a nonce needs at least {MIN_NONCE_BYTES} random bytes")

    @classmethod
    def issue(cls, device_id: str, now: datetime, ttl: timedelta = DEFAULT_NONCE_TTL) -> Nonce:
        if ttl <= timedelta(0):
            raise ValueError("nonce TTL must be positive")
        return cls(device_id, secrets.token_bytes(NONCE_BYTES), now, now + ttl)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Challenge:
    """What a device must quote: the nonce as qualifying data, over ``pcrs`` of ``bank``."""

    nonce: Nonce
    pcrs: tuple[int, ...]
    bank: HashAlg
