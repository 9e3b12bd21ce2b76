"""A quote's event log against the quote: replay must equal every quoted PCR, then the event policy.

Runs after the quote itself verified (signature, nonce, PCR digest), so the quoted values are the
TPM's. First failure wins: malformed_event_log (with the fault and its byte offset), then
event_log_mismatch (the PCRs whose replay differs), then event_policy_mismatch (every failed rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from domain.attestation.evidence import HashAlg, Reason
from domain.measured_boot.eventlog import EventLogError, parse_log
from domain.measured_boot.policy import EventPolicy, FailedEvent, evaluate
from domain.measured_boot.replay import Replay

EVENT_LOG_REASONS = frozenset(
    {Reason.MALFORMED_EVENT_LOG, Reason.EVENT_LOG_MISMATCH, Reason.EVENT_POLICY_MISMATCH}
)


@dataclass(frozen=True)
class LogVerdict:
    reason: Reason | None = None
    mismatched_pcrs: tuple[int, ...] = ()
    failed_events: tuple[FailedEvent, ...] = ()
    error: str | None = None  # malformed_event_log: "truncated at byte 83"

    @property
    def ok(self) -> bool:
        return self.reason is None


# What a verdict names when a device (or an evidence line) has an event policy but sent no log to judge.
NO_LOG = FailedEvent("event_log", ("a boot event log with the quote",), "no event log sent")


def check_log(
    log: bytes,
    replayed: Replay | EventLogError,
    pcr_values: Mapping[int, bytes],
    bank: HashAlg,
    policy: EventPolicy | None,
) -> LogVerdict:
    """``replayed`` is the replayer's outcome for ``log`` (native or reference, batched upstream)."""
    if isinstance(replayed, EventLogError):
        return LogVerdict(Reason.MALFORMED_EVENT_LOG, error=str(replayed))
    if int(bank) not in replayed.values:  # the log never measured into the quoted bank
        return LogVerdict(Reason.EVENT_LOG_MISMATCH, mismatched_pcrs=tuple(sorted(pcr_values)))
    mismatched = tuple(
        sorted(
            pcr
            for pcr, value in pcr_values.items()
            if pcr >= len(replayed.values[int(bank)]) or replayed.expected(int(bank), pcr) != value
        )
    )
    if mismatched:
        return LogVerdict(Reason.EVENT_LOG_MISMATCH, mismatched_pcrs=mismatched)
    if policy is None:
        return LogVerdict()
    failed = _failed_events(policy, bytes(log), bank, frozenset(pcr_values))
    return LogVerdict(Reason.EVENT_POLICY_MISMATCH, failed_events=failed) if failed else LogVerdict()


@lru_cache(maxsize=256)
def _failed_events(
    policy: EventPolicy, log: bytes, bank: HashAlg, quoted: frozenset[int]
) -> tuple[FailedEvent, ...]:
    """Judging is a pure function of these; a fleet boots the same firmware, so the same log (bytes)
    comes back device after device: it is parsed and judged once (parsing dominates the cost)."""
    return tuple(evaluate(policy, parse_log(log), bank, quoted))
