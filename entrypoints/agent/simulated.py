"""A simulated device: synthetic platform, simulated TPM, and reboot/halt/update that only pretend.

Boot measures firmware and boot chain into PCRs 0-7 from the model and firmware version, so every
device of a model running the same firmware reports the same values and one model + firmware
reference policy covers them. A tampered device measures a foreign image into PCR 0 on every boot.
"""
from __future__ import annotations

import asyncio
import hashlib

from adapters.tpm.simulated import SimulatedTpm
from entrypoints.agent.machine import Outcome
from entrypoints.agent.synthetic import SyntheticProbe

FIRMWARE_PCR = 0
TAMPERED_IMAGE = b"unsigned firmware image"


def sha256(data: bytes | str) -> bytes:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).digest()


class SimulatedMachine:
    restarts_process = False

    def __init__(self, probe: SyntheticProbe, tpm: SimulatedTpm, *, tampered: bool = False,
                 work_seconds: float = 0.0) -> None:
        """``work_seconds``: how long a reboot or update pretends to take (so ``running`` is visible)."""
        self.probe, self.tpm, self.tampered, self._work = probe, tpm, tampered, work_seconds
        self.halted = False
        self.measure_boot()

    def measure_boot(self) -> None:
        self.tpm.pcr_extend(FIRMWARE_PCR, sha256(self.probe.firmware_version))
        for pcr in range(1, 8):
            self.tpm.pcr_extend(pcr, sha256(f"{self.probe.model.name}:boot-stage-{pcr}"))
        if self.tampered:
            self.tpm.pcr_extend(FIRMWARE_PCR, sha256(TAMPERED_IMAGE))

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
