"""Attestation verdicts and the rules that turn a verifier result plus server state into one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.attestation.evidence import ClockInfo, HashAlg, QuoteResult, Reason
from domain.attestation.nonce import NonceStatus
from domain.errors import DomainError

TPM_VERSION = "2.0"

# Failures before the signature is known good: nothing in the quote, its clock included, is trusted.
UNAUTHENTICATED = frozenset(
    {
        Reason.MALFORMED,
        Reason.NOT_A_QUOTE,
        Reason.ALGORITHM_MISMATCH,
        Reason.BAD_SIGNATURE,
        Reason.UNKNOWN_KEY,
    }
)
# Verifier outcomes that come after the nonce checks, so a stale nonce outranks them.
_AFTER_NONCE = frozenset(
    {
        None,
        Reason.PCR_DIGEST_MISMATCH,
        Reason.POLICY_MISMATCH,
        Reason.MALFORMED_EVENT_LOG,
        Reason.EVENT_LOG_MISMATCH,
        Reason.EVENT_POLICY_MISMATCH,
    }
)
_NAMES_PCRS = frozenset({Reason.POLICY_MISMATCH, Reason.EVENT_LOG_MISMATCH})
_NONCE_REASONS = {
    NonceStatus.EXPIRED: Reason.NONCE_EXPIRED,
    NonceStatus.REUSED: Reason.NONCE_REUSED,
    NonceStatus.UNKNOWN: Reason.NONCE_MISMATCH,
}


class VerdictStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(eq=False)
class AttestationVerdict:
    device_id: str
    status: VerdictStatus
    reasons: list[str]
    timestamp: datetime
    pcr_values: dict[int, bytes] = field(default_factory=dict)
    mismatched_pcrs: list[int] = field(default_factory=list)
    bank: HashAlg = HashAlg.SHA256
    clock: ClockInfo | None = None  # only from a quote whose signature verified
    firmware_version: int | None = None
    reboot_observed: bool = False
    verifier: str | None = None
    tpm_version: str = TPM_VERSION
    tpm_latency_seconds: float | None = None  # challenge issued -> verdict, when this server issued it
    id: int | None = None
    # measured boot: each failed event policy rule (FailedEvent.as_dict()), and why a log was unreadable
    failed_events: list[dict[str, Any]] = field(default_factory=list)
    event_log_error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is VerdictStatus.SUCCESS

    def pcr_values_hex(self) -> dict[str, str]:
        """The API contract's shape: ``{"pcr_0": "0x..."}`` in PCR order."""
        return {f"pcr_{i}": "0x" + value.hex() for i, value in sorted(self.pcr_values.items())}


@dataclass
class BatchReport:
    """Outcome of a fleet-wide run: verdicts, devices that did not answer, devices not attestable (why)."""

    verdicts: list[AttestationVerdict] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    skipped: dict[str, DomainError] = field(default_factory=dict)  # why each was not attested


def rolled_back(last: ClockInfo, current: ClockInfo) -> bool:
    """A TPM's (resetCount, restartCount, clock) never goes backwards within one reset epoch."""
    if current.reset_count != last.reset_count:
        return current.reset_count < last.reset_count
    return current.restart_count < last.restart_count or current.clock < last.clock


def judge(
    device_id: str,
    pcr_values: Mapping[int, bytes],
    bank: HashAlg,
    result: QuoteResult,
    nonce: NonceStatus,
    last_accepted: ClockInfo | None,
    now: datetime,
    verifier: str | None = None,
) -> AttestationVerdict:
    """Merge the verifier's first failure with nonce freshness and clock checks, keeping the issue's order."""
    reason = result.reason
    if reason in _AFTER_NONCE and nonce in _NONCE_REASONS:
        reason = _NONCE_REASONS[nonce]
    authentic = result.reason not in UNAUTHENTICATED
    clock = result.clock if authentic else None
    reboot = False
    if clock is not None and last_accepted is not None:
        if rolled_back(last_accepted, clock):
            reason = reason or Reason.CLOCK_ROLLBACK
        else:
            reboot = clock.reset_count > last_accepted.reset_count
    return AttestationVerdict(
        device_id=device_id,
        status=VerdictStatus.FAILED if reason else VerdictStatus.SUCCESS,
        reasons=[str(reason)] if reason else [],
        timestamp=now,
        pcr_values=dict(pcr_values),
        mismatched_pcrs=list(result.mismatched_pcrs) if reason in _NAMES_PCRS else [],
        bank=bank,
        clock=clock,
        firmware_version=result.firmware_version if authentic else None,
        reboot_observed=reboot,
        verifier=verifier,
    )
