"""A simulated device: synthetic platform, simulated TPM, and reboot/halt/update that only pretend.

Boot writes a realistic UEFI event log (adapters/tpm/uefi_boot_log.py) derived from the model and
firmware version and measures it into PCRs 0-7, so every device of a model running the same firmware
reports the same values and log, and one model + firmware reference policy (PCR values or events)
covers them. An update reboots into the new version's boot. A tampered device also measures a foreign firmware image into PCR 0; a device with a
swapped bootloader boots another bootloader (PCR 4). Both are logged: the replay matches the quote,
the policies catch them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from adapters.tpm.simulated import SimulatedTpm
from adapters.tpm.uefi_boot_log import BootConfig, boot_log
from domain.attestation.evidence import HashAlg
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.replay import replay_bytes
from domain.measured_boot.tcg import EventType
from domain.measured_boot.uefi import encode_blob
from entrypoints.agent.machine import Outcome
from entrypoints.agent.synthetic import SyntheticProbe

FIRMWARE_PCR = 0
TAMPERED_IMAGE = b"unsigned firmware image"
SWAPPED_BOOTLOADER = "grubx64-unsigned"
EPOCH_2024 = 1_704_067_200
SIM_BANKS = (HashAlg.SHA1, HashAlg.SHA256)


def power_on(tpm: SimulatedTpm) -> None:
    """A simulated TPM starts with the same counters every time it is built; a real one keeps its clock
    and counts resets in NV. Deriving both from wall time keeps them moving forward across process
    restarts, so the verifier's clock-rollback check does not flag a restarted agent or simulator.
    The clock ticks in microseconds (the verifier only compares it) so that a TPM rebuilt within the
    same millisecond still reads later than its predecessor's last quote."""
    now = time.time()
    tpm.set_counters(clock_ms=int(now * 1_000_000), reset_count=int(now) - EPOCH_2024, restart_count=0)


def firmware_blob(measured: bytes) -> bytes:
    """One EV_EFI_PLATFORM_FIRMWARE_BLOB record on PCR 0 (appended to a simulated log)."""
    return LogBuilder(SIM_BANKS).record_for(
        FIRMWARE_PCR,
        EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB,
        encode_blob(0xFF000000, len(measured)),
        measured,
    )


def device_boot_log(
    model: str, firmware_version: str, *, tampered: bool = False, bootloader: str | None = None
) -> bytes:
    """The event log of one boot of a simulated device."""
    config = BootConfig(model, firmware_version, banks=SIM_BANKS)
    log = boot_log(dataclasses.replace(config, bootloader=bootloader) if bootloader else config)
    return log + firmware_blob(TAMPERED_IMAGE) if tampered else log


def golden_pcrs(model: str, firmware_version: str) -> dict[int, bytes]:
    """What a clean device of ``model`` on ``firmware_version`` reports after boot: the vendor's
    reference values, the replay of its event log."""
    replayed = replay_bytes(device_boot_log(model, firmware_version))
    return {pcr: replayed.expected(int(HashAlg.SHA256), pcr) for pcr in range(8)}


class SimulatedMachine:
    restarts_process = False

    def __init__(
        self,
        probe: SyntheticProbe,
        tpm: SimulatedTpm,
        *,
        tampered: bool = False,
        swapped_bootloader: bool = False,
        work_seconds: float = 0.0,
        bad_firmware: frozenset[str] = frozenset(),
    ) -> None:
        """``work_seconds``: how long a reboot or update pretends to take (so ``running`` is visible).
        ``bad_firmware``: versions that boot a foreign image on this device (attestation fails after
        updating to them)."""
        self.probe, self.tpm, self.tampered, self._work = probe, tpm, tampered, work_seconds
        self.bad_firmware = bad_firmware
        self.bootloader = SWAPPED_BOOTLOADER if swapped_bootloader else None
        self.halted = False
        power_on(tpm)
        self.measure_boot()

    def refuses(self, command: str) -> None:
        return None

    def measure_boot(self) -> None:
        probe = self.probe
        self.tpm.measure_log(
            device_boot_log(
                probe.model.name,
                probe.firmware_version,
                tampered=self.tampered or probe.firmware_version in self.bad_firmware,
                bootloader=self.bootloader,
            )
        )

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
        """Install and reboot into the new firmware: the next boot's event log and PCRs are those of
        the model on that version (what its golden values say), or a tampered boot for a bad version."""
        await asyncio.sleep(self._work)
        previous, version = self.probe.firmware_version, str(parameters["version"])
        self.probe.firmware_version = version
        self.tpm.reboot()
        self.probe.restart()
        self.measure_boot()
        return Outcome(
            "succeeded",
            {
                "message": f"firmware updated from {previous} to {version} and rebooted (simulated)",
                "previous_version": previous,
                "version": version,
                "reset_count": self.tpm.reset_count,
            },
        )
