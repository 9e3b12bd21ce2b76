"""The contract every quote verifier (pure-Python reference and native batch) implements.

A verifier checks one quote in a fixed order and reports the *first* failure:

1. ``malformed``           TPMS_ATTEST or TPMT_SIGNATURE does not parse exactly (bounds, trailing
                           bytes, unknown signature algorithm, a reported PCR value of the wrong size,
                           more than 16 PCR banks, a select bitmap longer than 4 bytes);
2. ``not_a_quote``         magic != TPM_GENERATED_VALUE or type != TPM_ST_ATTEST_QUOTE;
3. ``algorithm_mismatch``  signature scheme does not fit the key type, differs from the key's fixed
                           scheme, or its hash differs from the key's hash;
   ``bad_signature``       the signature does not verify under the enrolled attestation key;
4. ``nonce_mismatch``      extraData != the nonce the server issued;
5. ``pcr_digest_mismatch`` selection is not exactly the reported PCRs of the evidence bank, or
                           pcrDigest != H(values concatenated in selection order);
6. ``policy_mismatch``     a reported value differs from the reference policy, or the policy names a
                           PCR that was not quoted (``mismatched_pcrs`` lists them, ascending).

Nonce freshness (``nonce_expired``, ``nonce_reused``) and ``clock_rollback`` need server state and
are decided by the attestation use case, not by the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_QUOTE = 0x8018
MAX_PCR_BANKS = 16
MAX_SELECT_BYTES = 4


class HashAlg(IntEnum):
    SHA1 = 0x0004
    SHA256 = 0x000B
    SHA384 = 0x000C
    SHA512 = 0x000D

    @property
    def digest_size(self) -> int:
        return {0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64}[self.value]


# "sha256" -> HashAlg.SHA256, the names bodies and files use for PCR banks.
BANK_BY_NAME = {alg.name.lower(): alg for alg in HashAlg}


class SigScheme(IntEnum):
    RSASSA = 0x0014
    RSAPSS = 0x0016
    ECDSA = 0x0018


class KeyType(StrEnum):
    RSA = "rsa"
    ECC = "ecc"


class Reason(StrEnum):
    MALFORMED = "malformed"
    NOT_A_QUOTE = "not_a_quote"
    ALGORITHM_MISMATCH = "algorithm_mismatch"
    BAD_SIGNATURE = "bad_signature"
    NONCE_MISMATCH = "nonce_mismatch"
    NONCE_EXPIRED = "nonce_expired"
    NONCE_REUSED = "nonce_reused"
    PCR_DIGEST_MISMATCH = "pcr_digest_mismatch"
    POLICY_MISMATCH = "policy_mismatch"
    CLOCK_ROLLBACK = "clock_rollback"
    UNKNOWN_KEY = "unknown_key"
    # measured boot (domain/measured_boot/check.py): judged after the quote itself verified
    MALFORMED_EVENT_LOG = "malformed_event_log"
    EVENT_LOG_MISMATCH = "event_log_mismatch"
    EVENT_POLICY_MISMATCH = "event_policy_mismatch"


# Stable small integers for the native module's per-quote status array. 0 means verified.
REASON_CODES: dict[Reason, int] = {
    Reason.MALFORMED: 1,
    Reason.NOT_A_QUOTE: 2,
    Reason.ALGORITHM_MISMATCH: 3,
    Reason.BAD_SIGNATURE: 4,
    Reason.NONCE_MISMATCH: 5,
    Reason.PCR_DIGEST_MISMATCH: 6,
    Reason.POLICY_MISMATCH: 7,
}


@dataclass(frozen=True)
class AttestationKey:
    """An enrolled attestation key (AK). ``scheme`` None means any scheme valid for the key type."""

    spki_der: bytes
    key_type: KeyType
    scheme: SigScheme | None = None
    hash_alg: HashAlg = HashAlg.SHA256
    name: bytes = b""


@dataclass(frozen=True)
class QuoteEvidence:
    quote: bytes  # TPMS_ATTEST exactly as signed
    signature: bytes  # TPMT_SIGNATURE
    pcr_values: Mapping[int, bytes]  # reported values of the ``hash_alg`` bank
    hash_alg: HashAlg = HashAlg.SHA256
    event_log: bytes | None = None  # the TCG boot event log sent beside the quote, when the device has one


@dataclass(frozen=True)
class QuoteCheck:
    """One verification job: evidence, the key it must be signed by, the nonce and the policy."""

    evidence: QuoteEvidence
    key: AttestationKey
    nonce: bytes
    policy: Mapping[int, bytes] | None = None


class ClockInfo(NamedTuple):
    """TPMS_CLOCK_INFO of a quote. A tuple: the native verifier builds one per quote from C arrays."""

    clock: int
    reset_count: int
    restart_count: int
    safe: bool


class _QuoteOutcome(NamedTuple):
    reason: Reason | None  # None: every check passed
    mismatched_pcrs: tuple[int, ...] = ()
    clock: ClockInfo | None = None
    firmware_version: int | None = None


class QuoteResult(_QuoteOutcome):
    """One quote's verdict. Equal when the verdict is (reason and mismatched PCRs): two verifiers agree on
    a quote whatever its clock read. Tuple-backed because the fleet-wide hot path builds tens of thousands
    a second, at C speed (``tuple.__new__``), where a frozen dataclass pays a setattr per field."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not QuoteResult:
            # a plain tuple would otherwise be compared field by field by tuple's own ==
            return False if isinstance(other, tuple) else NotImplemented
        return self[0] == other[0] and self[1] == other[1]

    def __ne__(self, other: object) -> bool:  # tuple defines its own !=: it must follow __eq__
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self[0], self[1]))

    @property
    def ok(self) -> bool:
        return self.reason is None
