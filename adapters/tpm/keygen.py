"""Deterministic key derivation for simulated TPMs: the same seed always gives the same keys.

Simulation only: the randomness is a seeded PRNG, never use these keys for anything real.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec, rsa

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
RSA_EXPONENT = 65537
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _seed_bytes(seed: bytes, label: str) -> bytes:
    return hashlib.sha256(b"edgefleet-sim\x00" + label.encode() + b"\x00" + seed).digest()


def ecc_p256_key(seed: bytes, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key whose scalar is a hash of the seed: microseconds, so fleets of thousands build fast."""
    scalar = int.from_bytes(_seed_bytes(seed, label), "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


@lru_cache(maxsize=256)
def rsa_key(seed: bytes, label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key from seeded prime search (~0.5 s for 2048 bits in pure Python, hence the cache)."""
    rng = random.Random(_seed_bytes(seed, label))
    while True:
        p, q = _prime(rng, bits // 2), _prime(rng, bits // 2)
        if p != q:
            break
    d = pow(RSA_EXPONENT, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(RSA_EXPONENT, p * q)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    )
    return numbers.private_key()


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        # Top two bits set so that p * q has exactly 2 * bits bits; odd; p - 1 coprime to e.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % RSA_EXPONENT and _probably_prime(candidate, rng):
            return candidate


def _probably_prime(n: int, rng: random.Random, rounds: int = 24) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True
