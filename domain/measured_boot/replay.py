"""Replay of an event log into PCR values, per bank: what the TPM must hold if the log is true.

Each record that is not EV_NO_ACTION extends its PCR in every bank it carries a digest for:
PCR = H(PCR || digest). PCRs start at zero (17..22 too: a log extending them follows a DRTM reset); a
StartupLocality event sets PCR 0's last byte to the locality. ``touched`` PCRs are those the log
extended (or set by locality), the ones ``tpm2_eventlog`` prints; ``expected`` is what a TPM quoting
after this boot must hold, the reset value for a PCR the log never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from domain.attestation.evidence import HashAlg
from domain.measured_boot.eventlog import EventLog, EventLogError, parse_log
from domain.measured_boot.tcg import DRTM_PCRS, PCR_COUNT

_HASHES = {
    int(HashAlg.SHA1): hashlib.sha1,
    int(HashAlg.SHA256): hashlib.sha256,
    int(HashAlg.SHA384): hashlib.sha384,
    int(HashAlg.SHA512): hashlib.sha512,
}


def reset_value(alg: int, pcr: int) -> bytes:
    size = HashAlg(alg).digest_size
    return b"\xff" * size if pcr in DRTM_PCRS else bytes(size)


@dataclass(frozen=True, slots=True)
class Replay:
    values: dict[int, tuple[bytes, ...]]  # bank -> PCR 0..23
    touched: dict[int, int]  # bank -> bit i set when PCR i was extended or set by locality

    def value(self, bank: int, pcr: int) -> bytes:
        return self.values[bank][pcr]

    def expected(self, bank: int, pcr: int) -> bytes:
        return self.values[bank][pcr] if self.touched[bank] >> pcr & 1 else reset_value(bank, pcr)

    def as_dict(self) -> dict[str, dict[str, str]]:
        """{"sha256": {"0": "<hex>", ...}} for every bank of the log, touched PCRs only."""
        return {
            HashAlg(bank).name.lower(): {
                str(pcr): values[pcr].hex() for pcr in range(PCR_COUNT) if self.touched[bank] >> pcr & 1
            }
            for bank, values in sorted(self.values.items())
        }


def replay(log: EventLog) -> Replay:
    values = {bank: [bytes(HashAlg(bank).digest_size)] * PCR_COUNT for bank in log.banks}
    touched = dict.fromkeys(log.banks, 0)
    if log.startup_locality is not None:
        for bank, pcrs in values.items():
            pcrs[0] = pcrs[0][:-1] + bytes([log.startup_locality])
            touched[bank] |= 1
    for event in log.events:
        if not event.extends:
            continue
        for bank, digest in event.digests.items():
            pcrs = values[bank]
            pcrs[event.pcr] = _HASHES[bank](pcrs[event.pcr] + digest).digest()
            touched[bank] |= 1 << event.pcr
    return Replay({bank: tuple(pcrs) for bank, pcrs in values.items()}, touched)


def replay_bytes(data: bytes) -> Replay:
    """Parse and replay; EventLogError when the log is unreadable."""
    return replay(parse_log(data))


def replay_many(logs: Iterable[bytes]) -> list[Replay | EventLogError]:
    """One outcome per log, in order: the reference behind ports.event_log.EventLogReplayer."""
    outcomes: list[Replay | EventLogError] = []
    for log in logs:
        try:
            outcomes.append(replay_bytes(log))
        except EventLogError as error:
            outcomes.append(error)
    return outcomes
