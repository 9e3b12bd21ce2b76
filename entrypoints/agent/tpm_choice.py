"""``--tpm``: which TPM the agent attests with.

``swtpm:host=..,port=..`` / ``device:/dev/tpmrm0`` / ``mssim:...`` are tpm2-tools TCTI strings for a
real TPM (through tpm2-pytss); ``simulated`` is the pure-Python TPM with a seed kept in the state dir;
``none`` enrols without a TPM. Without ``--tpm``: the kernel's resource manager when present, else none
(never a silent software TPM: that would prove nothing about the device).
"""

from __future__ import annotations

import logging
from pathlib import Path

from entrypoints.agent.state import AgentState
from ports.tpm import Tpm

log = logging.getLogger("edgefleet.agent")
KERNEL_RM = "/dev/tpmrm0"
TCTI_PREFIXES = ("swtpm", "mssim", "device", "tabrmd", "libtpms")


def resolve_spec(spec: str | None, kernel_rm: str = KERNEL_RM) -> str:
    if spec:
        return spec.strip()
    if Path(kernel_rm).exists():
        return f"device:{kernel_rm}"
    log.warning(
        "no TPM found at %s: enrolling without attestation (--tpm simulated for a software TPM)", kernel_rm
    )
    return "none"


def open_tpm(spec: str | None, state: AgentState, ak: str = "ecc") -> Tpm | None:
    chosen = resolve_spec(spec)
    if chosen == "none":
        return None
    if chosen == "simulated":
        from adapters.tpm.simulated import SimulatedTpm
        from entrypoints.agent.simulated import power_on

        tpm = SimulatedTpm(seed=state.simulated_tpm_seed(), ak=ak)
        power_on(tpm)
        return tpm
    if chosen.split(":", 1)[0] not in TCTI_PREFIXES:
        raise ValueError(
            f"unknown --tpm {chosen!r}: use swtpm:host=..,port=.., device:/dev/tpmrm0, simulated or none"
        )
    from adapters.tpm.boot_event_log import KERNEL_EVENT_LOG
    from adapters.tpm.pytss_tpm import PytssTpm  # needs libtss2: imported only when asked for

    # The AK blobs live in the state dir, so the key the server enrolled survives restarts.
    # The kernel's boot event log belongs to the platform's own TPM, never to a software one.
    event_log = KERNEL_EVENT_LOG if chosen.startswith("device:") else None
    return PytssTpm(chosen, ak=ak, state_dir=state.tpm_dir, event_log_path=event_log)
