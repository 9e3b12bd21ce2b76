"""A simulated device: synthetic platform, simulated TPM, and reboot/halt/update that only pretend.

Boot measures firmware and boot chain into PCRs 0-7 from the model and firmware version, so every
device of a model running the same firmware reports the same values and one model + firmware
reference policy covers them. A tampered device measures a foreign image into PCR 0 on every boot.
"""
from __future__ import annotations

import asyncio
import hashlib
import time

from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.machine import Outcome
from entrypoints.agent.synthetic import SyntheticProbe

FIRMWARE_PCR = 0
TAMPERED_IMAGE = b"unsigned firmware image"
EPOCH_2024 = 1_704_067_200


def power_on(tpm: SimulatedTpm) -> None:
    """A simulated TPM starts with the same counters every time it is built; a real one keeps its clock
    and counts resets in NV. Deriving both from wall time keeps them moving forward across process
    restarts, so the verifier's clock-rollback check does not flag a restarted agent or simulator.
    The clock ticks in microseconds (the verifier only compares it) so that a TPM rebuilt within the
    same millisecond still reads later than its predecessor's last quote."""
    now = time.time()
    tpm.set_counters(clock_ms=int(now * 1_000_000), reset_count=int(now) - EPOCH_2024, restart_count=0)


def sha256(data: bytes | str) -> bytes:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).digest()


def boot_measurements(model: str, firmware_version: str, tampered: bool = False) -> list[tuple[int, bytes]]:
    """(PCR, digest) extends of one boot, in order: firmware into PCR 0, boot stages into 1-7."""
    events = [(FIRMWARE_PCR, sha256(firmware_version))]
    events += [(pcr, sha256(f"{model}:boot-stage-{pcr}")) for pcr in range(1, 8)]
    return events + ([(FIRMWARE_PCR, sha256(TAMPERED_IMAGE))] if tampered else [])


def golden_pcrs(model: str, firmware_version: str) -> dict[int, bytes]:
    """What a clean device of ``model`` on ``firmware_version`` reports after boot: the vendor's
    reference values, computed the way a verifier replays an event log."""
    values = {pcr: bytes(32) for pcr in range(8)}
    for pcr, digest in boot_measurements(model, firmware_version):
        values[pcr] = sha256(values[pcr] + digest)
    return values


class SimulatedMachine:
    restarts_process = False

    def __init__(self, probe: SyntheticProbe, tpm: SimulatedTpm, *, tampered: bool = False,
                 work_seconds: float = 0.0) -> None:
        """``work_seconds``: how long a reboot or update pretends to take (so ``running`` is visible)."""
        self.probe, self.tpm, self.tampered, self._work = probe, tpm, tampered, work_seconds
        self.halted = False
        power_on(tpm)
        self.measure_boot()

    def refuses(self, command: str) -> None:
        return None

    def measure_boot(self) -> None:
        probe = self.probe
        for pcr, digest in boot_measurements(probe.model.name, probe.firmware_version, self.tampered):
            self.tpm.pcr_extend(pcr, digest)

    async def reboot(self, force: bool) -> Outcome:
        await asyncio.sleep(self._work)
        self.tpm.reboot()  # PCRs back to zero, resetCount up: the verifier sees a fresh boot
        self.probe.restart()
        self.measure_boot()
        return Outcome("succeeded", {"message": "rebooted (simulated)", "reset_count": self.tpm.reset_count})

    async def halt(self, force: bool) -> Outcome:
        self.halted = True
        return Outcome("succeeded", {"message": "halting (simulated): the device stops reporting"}, stop=True)

    async def update(self, parameters: dict) -> Outcome:
        """The new firmware is measured into PCR 0 at once: attestation fails until the reference policy
        is updated to the new values."""
        await asyncio.sleep(self._work)
        previous, version = self.probe.firmware_version, str(parameters["version"])
        self.probe.firmware_version = version
        self.tpm.pcr_extend(FIRMWARE_PCR, sha256(version))
        return Outcome("succeeded", {"message": f"firmware updated from {previous} to {version} (simulated)",
                                     "previous_version": previous, "version": version,
                                     "extended_pcr": FIRMWARE_PCR})
