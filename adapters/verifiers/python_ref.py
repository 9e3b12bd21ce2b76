"""Pure-Python reference quote verifier (``cryptography``): the semantics the native module must match."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from adapters.verifiers.keys import HASHES
from domain.attestation.evidence import (
    AttestationKey,
    HashAlg,
    KeyType,
    QuoteCheck,
    QuoteResult,
    Reason,
    SigScheme,
)
from domain.attestation.tpm_wire import Attest, Signature, WireError, parse_attest, parse_signature

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_RSA_SCHEMES = (SigScheme.RSASSA, SigScheme.RSAPSS)
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
T = TypeVar("T")


class PythonQuoteVerifier:
    """Stateless and thread-safe: the only cache (decoded keys) lives for one batch."""

    name = "python"

    def verify_batch(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]:
        keys: dict[tuple, PublicKey | None] = {}
        return [self.verify_one(check, keys) for check in checks]

    def verify_stream(
        self, chunks: Iterable[tuple[T, Sequence[QuoteCheck]]]
    ) -> Iterator[tuple[T, list[QuoteResult]]]:
        for tag, checks in chunks:
            yield tag, self.verify_batch(checks)

    def verify_one(self, check: QuoteCheck, keys: dict[tuple, PublicKey | None] | None = None) -> QuoteResult:
        evidence = check.evidence
        try:
            attest, sig = parse_attest(evidence.quote), parse_signature(evidence.signature)
            bank = HashAlg(evidence.hash_alg)
        except (WireError, ValueError):
            return QuoteResult(Reason.MALFORMED)
        size = bank.digest_size
        if any(len(value) != size for value in evidence.pcr_values.values()):
            return QuoteResult(Reason.MALFORMED)

        def result(reason: Reason | None, mismatched: tuple[int, ...] = ()) -> QuoteResult:
            return QuoteResult(reason, mismatched, attest.clock, attest.firmware_version)

        if not attest.is_quote:
            return result(Reason.NOT_A_QUOTE)
        public = _load(check.key, {} if keys is None else keys)
        if public is None:
            return result(Reason.UNKNOWN_KEY)
        if not _algorithm_fits(check.key, sig):
            return result(Reason.ALGORITHM_MISMATCH)
        if not _signature_valid(public, sig, evidence.quote):
            return result(Reason.BAD_SIGNATURE)
        if not hmac.compare_digest(attest.extra_data, check.nonce):
            return result(Reason.NONCE_MISMATCH)
        if not _pcr_digest_matches(attest, bank, evidence.pcr_values, check.key.hash_alg):
            return result(Reason.PCR_DIGEST_MISMATCH)
        if check.policy is not None:
            differ = tuple(sorted(i for i, v in check.policy.items() if evidence.pcr_values.get(i) != v))
            if differ:
                return result(Reason.POLICY_MISMATCH, differ)
        return result(None)


def _load(key: AttestationKey, cache: dict[tuple, PublicKey | None]) -> PublicKey | None:
    """Decode each distinct SPKI once; None when it is not a key of the type the AK record claims."""
    # Keyed by type too: a record that calls an EC key RSA must not poison another quote's lookup.
    slot = (key.spki_der, key.key_type)
    if slot not in cache:
        try:
            public = serialization.load_der_public_key(key.spki_der)
        except (ValueError, UnsupportedAlgorithm):
            public = None
        wanted = rsa.RSAPublicKey if key.key_type == KeyType.RSA else ec.EllipticCurvePublicKey
        cache[slot] = public if isinstance(public, wanted) else None
    return cache[slot]


def _algorithm_fits(key: AttestationKey, sig: Signature) -> bool:
    fits_type = sig.scheme in _RSA_SCHEMES if key.key_type == KeyType.RSA else sig.scheme == SigScheme.ECDSA
    fixed_ok = key.scheme is None or key.scheme == sig.scheme
    return fits_type and fixed_ok and sig.hash_alg == key.hash_alg and sig.hash_alg in HASHES


def _signature_valid(public: PublicKey, sig: Signature, message: bytes) -> bool:
    algorithm = HASHES[sig.hash_alg]()
    try:
        if sig.scheme == SigScheme.ECDSA:
            if not isinstance(public, ec.EllipticCurvePublicKey):
                return False  # an ECDSA signature by an RSA key
            r, s = int.from_bytes(sig.r, "big"), int.from_bytes(sig.s, "big")
            order = P256_ORDER if isinstance(public.curve, ec.SECP256R1) else 1 << public.curve.key_size
            if not (0 < r < order and 0 < s < order):
                return False
            public.verify(encode_dss_signature(r, s), message, ec.ECDSA(algorithm))
        elif not isinstance(public, rsa.RSAPublicKey):
            return False  # an RSA signature by an ECC key
        elif sig.scheme == SigScheme.RSASSA:
            public.verify(sig.sig, message, padding.PKCS1v15(), algorithm)
        else:
            pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.AUTO)
            public.verify(sig.sig, message, pss, algorithm)
    except (InvalidSignature, ValueError):
        return False
    return True


def _pcr_digest_matches(attest: Attest, bank: HashAlg, values, digest_alg: HashAlg) -> bool:
    """The selection must be exactly the reported PCRs of ``bank``; the TPM hashes them in selection order."""
    order = [(sel.hash_alg, pcr) for sel in attest.pcr_selections for pcr in sel.pcrs]
    if sorted(order) != [(bank, pcr) for pcr in sorted(values)]:
        return False
    digest = hashlib.new(HashAlg(digest_alg).name.lower(), b"".join(values[pcr] for _, pcr in order)).digest()
    return hmac.compare_digest(digest, attest.pcr_digest)
