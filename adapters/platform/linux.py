"""Platform probe for any Linux machine through psutil, so the agent also runs on a laptop or a VM."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import psutil

from adapters.platform.commands import CommandRunner, run_command
from adapters.platform.diagnostics import MB, disk_usage, gigabytes, guarded, kernel_errors, optional
from adapters.platform.procfs import LinuxHost
from adapters.platform.tee import detect_tee
from ports.platform import PlatformFacts, PlatformMetrics

# Sensor chips that measure the CPU package or SoC, preferred over disks, Wi-Fi cards and batteries.
CPU_SENSORS = ("coretemp", "k10temp", "zenpower", "cpu_thermal", "cpu-thermal", "soc_thermal", "acpitz")


def cpu_temperature(readings: dict[str, list]) -> float | None:
    def hottest(names) -> float | None:
        values = [
            entry.current for name in names for entry in readings.get(name, []) if entry.current is not None
        ]
        return max(values, default=None)

    value = hottest(CPU_SENSORS)
    if value is None:
        value = hottest(readings)
    return None if value is None else round(value, 1)


class GenericLinuxProbe:
    name = "linux"

    def __init__(
        self, root: str | Path = "/", runner: CommandRunner = run_command, state_dir: str | Path | None = None
    ) -> None:
        self.host = LinuxHost(root)
        self._runner = runner
        self._state_dir = state_dir
        # psutil measures CPU load between calls; this first call starts the window non-blockingly.
        psutil.cpu_percent(interval=None)

    def facts(self) -> PlatformFacts:
        host, tee = self.host, detect_tee(self.host)
        return PlatformFacts(
            platform="linux",
            model=host.device_tree_model()
            or optional(lambda: host.cpuinfo_value("model name"))
            or platform.machine()
            or None,
            cores=psutil.cpu_count(logical=True),
            memory_gb=gigabytes(psutil.virtual_memory().total, 1),
            firmware_version=optional(lambda: host.read("sys/class/dmi/id/bios_version").strip() or None),
            tee_enabled=tee is not None,
            tee_type=tee,
            extra={"kernel": platform.release(), "machine": platform.machine()},
        )

    def metrics(self) -> PlatformMetrics:
        return PlatformMetrics(
            cpu_usage=round(psutil.cpu_percent(interval=None), 1),
            memory_usage=round(psutil.virtual_memory().percent, 1),
            temperature=self._temperature(),
            uptime_seconds=max(0, int(time.time() - psutil.boot_time())),
        )

    def diagnostics(self) -> dict:
        paths: dict[str, Path | str] = {"/": self.host.root}
        if self._state_dir is not None:
            paths["state_dir"] = self._state_dir
        return {
            "platform": self.name,
            "disk": disk_usage(paths),
            "memory": guarded(self._memory_report),
            "thermal": guarded(self._thermal_report),
            "kernel_errors": guarded(lambda: kernel_errors(self._runner)),
        }

    def _temperature(self) -> float | None:
        read = getattr(psutil, "sensors_temperatures", None)  # absent on some platforms (macOS, Windows)
        return optional(lambda: cpu_temperature(read())) if read else None

    @staticmethod
    def _memory_report() -> dict[str, object]:
        memory, swap = psutil.virtual_memory(), psutil.swap_memory()
        return {
            "total_mb": memory.total // MB,
            "available_mb": memory.available // MB,
            "swap_free_mb": swap.free // MB,
            "used_pct": memory.percent,
        }

    @staticmethod
    def _thermal_report() -> list[dict[str, object]]:
        read = getattr(psutil, "sensors_temperatures", None)
        readings = read() if read else {}
        return [
            {"sensor": name, "label": entry.label or None, "temp_c": entry.current}
            for name, entries in readings.items()
            for entry in entries
        ]
