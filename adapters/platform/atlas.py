"""Platform probe for Atlas edge stations and servers with Ascend NPUs, read through ``npu-smi``.

The host side (CPU, memory, uptime) comes from procfs; the NPU side from the ``npu-smi info`` card
table, with ``npu-smi info -t usages`` asked only for cards whose table row left a figure out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path

from adapters.platform.commands import CommandFailed, CommandRunner, run_command
from adapters.platform.diagnostics import gigabytes, guarded, host_report, optional
from adapters.platform.npu_figures import ascend_name, fill_gaps, has_gaps, npu_figures, worst_health
from adapters.platform.npu_smi import NpuChip, NpuSmiFormatError, NpuSmiInfo, parse_npu_smi_info
from adapters.platform.npu_smi_usages import ChipUsage, parse_key_value_blocks, parse_npu_smi_usages
from adapters.platform.procfs import LinuxHost
from adapters.platform.tee import detect_tee
from ports.platform import PlatformFacts, PlatformMetrics

log = logging.getLogger(__name__)
NPU_SMI_UNREADABLE = "UNKNOWN"  # npu-smi's own word for a health it cannot determine


class AtlasProbe:
    name = "atlas"

    def __init__(
        self,
        runner: CommandRunner = run_command,
        root: str | Path = "/",
        npu_smi: str = "npu-smi",
        state_dir: str | Path | None = None,
    ) -> None:
        self.host = LinuxHost(root)
        self._runner = runner
        self.npu_smi_path = npu_smi
        self._state_dir = state_dir
        self._lock = threading.Lock()

    def npu_smi(self, *args: str) -> str:
        with self._lock:  # Huawei documents npu-smi as unsafe to run concurrently
            return self._runner([self.npu_smi_path, *args])

    def read_npus(self) -> NpuSmiInfo:
        return parse_npu_smi_info(self.npu_smi("info"))

    def read_usages(self, npu_id: int) -> tuple[ChipUsage, ...]:
        return parse_npu_smi_usages(self.npu_smi("info", "-t", "usages", "-i", str(npu_id)))

    def facts(self) -> PlatformFacts:
        extra: dict[str, object] = {}
        try:
            info = self.read_npus()
        except (CommandFailed, NpuSmiFormatError) as exc:
            info, extra["npu_smi_error"] = None, str(exc)
        chips = info.chips if info else ()
        names = sorted({ascend_name(chip.name) for chip in chips if chip.name})
        if info:
            extra |= {
                "npu_smi_version": info.tool_version,
                "driver_version": info.driver_version,
                "npu_ids": info.npu_ids,
                "chip_count": len(chips),
            }
        tee = detect_tee(self.host)
        return PlatformFacts(
            platform="atlas",
            model=f"Atlas ({', '.join(names)})" if names else "Atlas",
            cores=optional(self.host.cpu_count),
            memory_gb=optional(lambda: gigabytes(self.host.meminfo_kb()["MemTotal"], 1024)),
            firmware_version=self._firmware_version(chips),
            tee_enabled=tee is not None,
            tee_type=tee,
            extra=extra,
        )

    def metrics(self) -> PlatformMetrics:
        try:
            figures = npu_figures(self._chips_with_usages(self.read_npus().chips))
        except (CommandFailed, NpuSmiFormatError) as exc:
            log.warning("npu-smi unreadable, reporting host figures only: %s", exc)
            figures = {"npu_health": NPU_SMI_UNREADABLE}
        temperature = figures.pop("temperature", None)
        return PlatformMetrics(
            cpu_usage=optional(self.host.cpu_usage),
            memory_usage=optional(self.host.memory_usage),
            temperature=temperature if temperature is not None else optional(self.host.soc_temperature),
            uptime_seconds=optional(self.host.uptime_seconds),
            **figures,
        )

    def diagnostics(self) -> dict:
        return {
            "platform": self.name,
            "npu": guarded(self._npu_report),
            **host_report(self.host, self._runner, self._state_dir),
        }

    def _npu_report(self) -> dict[str, object]:
        info = self.read_npus()
        # String keys: the report travels as JSON, whose object keys are strings anyway.
        usages = {str(npu_id): guarded(partial(self._usage_report, npu_id)) for npu_id in info.npu_ids}
        return {
            "tool_version": info.tool_version,
            "driver_version": info.driver_version,
            "health": worst_health(chip.health for chip in info.chips),
            "chips": [asdict(chip) for chip in info.chips],
            "usages": usages,
        }

    def _usage_report(self, npu_id: int) -> list[dict[str, object]]:
        return list(map(asdict, self.read_usages(npu_id)))

    def _chips_with_usages(self, chips: tuple[NpuChip, ...]) -> list[NpuChip]:
        gaps = sorted({chip.npu_id for chip in chips if has_gaps(chip)})
        usages: dict[int, tuple[ChipUsage, ...]] = {}
        for npu_id in gaps:
            try:
                usages[npu_id] = self.read_usages(npu_id)
            except (CommandFailed, NpuSmiFormatError) as exc:
                log.debug("npu-smi usages for NPU %s unreadable: %s", npu_id, exc)
        return [fill_gaps(chip, usages.get(chip.npu_id, ())) for chip in chips]

    def _firmware_version(self, chips: Sequence[NpuChip]) -> str | None:
        if not chips:
            return None
        first = chips[0]
        chip_args = ["-c", str(first.chip_id)] if first.chip_id is not None else []
        try:
            board = self.npu_smi("info", "-t", "board", "-i", str(first.npu_id), *chip_args)
        except CommandFailed:
            return None
        return next(
            (
                block["Firmware Version"]
                for block in parse_key_value_blocks(board)
                if block.get("Firmware Version") not in (None, "", "NA")
            ),
            None,
        )
