"""The platform's boot event log as the kernel exports it, read for sending beside a quote."""

from __future__ import annotations

import logging
from pathlib import Path

from domain.measured_boot.tcg import MAX_AGENT_EVENT_LOG

KERNEL_EVENT_LOG = Path("/sys/kernel/security/tpm0/binary_bios_measurements")
log = logging.getLogger("edgefleet.agent")


def read_event_log(path: Path | str = KERNEL_EVENT_LOG, limit: int = MAX_AGENT_EVENT_LOG) -> bytes | None:
    """The log's bytes; None when there is none (or it cannot be read, or it is over ``limit``: the
    quote then goes without it and the server judges the PCR values alone)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        log.warning("boot event log %s is over %d bytes: sent without it", path, limit)
        return None
    return data or None
