"""CPU, memory, uptime, thermal zones and device-tree identity read from /proc and /sys.

Everything is read under an injectable root so tests use fixture trees; on a device the root is "/".
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

# Zone types that measure the SoC or its CPU clusters rather than a battery, a PMIC or the board.
_SOC_ZONE = re.compile(r"soc|cpu|cluster|core|tsensor|x86_pkg|package", re.IGNORECASE)
_PLAUSIBLE_C = (-40.0, 150.0)  # disabled sensors report 0 K, -273 or all-ones; ignore those


@dataclass(frozen=True)
class CpuTimes:
    busy: int
    total: int


@dataclass(frozen=True)
class ThermalZone:
    zone: str
    type: str | None
    temp_c: float

    @property
    def measures_soc(self) -> bool:
        return bool(self.type and _SOC_ZONE.search(self.type))


class LinuxHost:
    def __init__(self, root: str | Path = "/") -> None:
        self.root = Path(root)
        self._previous_cpu: CpuTimes | None = None
        self._lock = threading.Lock()

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(errors="replace")

    def exists(self, relative: str) -> bool:
        return (self.root / relative).exists()

    def cpu_times(self) -> CpuTimes:
        for line in self.read("proc/stat").splitlines():
            if line.startswith("cpu "):
                # user nice system idle iowait irq softirq steal; guest time is already inside user.
                ticks = [int(value) for value in line.split()[1:9]]
                idle = sum(ticks[3:5])
                return CpuTimes(busy=sum(ticks) - idle, total=sum(ticks))
        raise ValueError("/proc/stat has no aggregate 'cpu' line")

    def cpu_usage(self) -> float:
        """Percent busy since the previous call; the first call reports the average since boot."""
        now = self.cpu_times()
        with self._lock:
            before, self._previous_cpu = self._previous_cpu, now
        if before is None or now.total <= before.total:
            before = CpuTimes(0, 0)
        elapsed = now.total - before.total
        return round(100.0 * (now.busy - before.busy) / elapsed, 1) if elapsed > 0 else 0.0

    def meminfo_kb(self) -> dict[str, int]:
        values = {}
        for line in self.read("proc/meminfo").splitlines():
            key, _, rest = line.partition(":")
            if rest.split() and rest.split()[0].isdigit():
                values[key.strip()] = int(rest.split()[0])
        return values

    def memory_usage(self) -> float:
        info = self.meminfo_kb()
        total = info["MemTotal"]
        # MemAvailable appeared in Linux 3.14; older vendor kernels on edge boards still exist.
        reclaimable = info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
        available = info.get("MemAvailable", reclaimable)
        return round(100.0 * (total - available) / total, 1)

    def uptime_seconds(self) -> int:
        return int(float(self.read("proc/uptime").split()[0]))

    def cpuinfo(self) -> list[dict[str, str]]:
        """One dict per blank-line separated block of /proc/cpuinfo (processors, then arm's trailer)."""
        blocks: list[dict[str, str]] = [{}]
        for line in self.read("proc/cpuinfo").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                blocks[-1][key.strip()] = value.strip()
            elif not line.strip() and blocks[-1]:
                blocks.append({})
        return [block for block in blocks if block]

    def cpu_count(self) -> int | None:
        return sum(1 for block in self.cpuinfo() if "processor" in block) or None

    def cpuinfo_value(self, key: str) -> str | None:
        return next((block[key] for block in self.cpuinfo() if block.get(key)), None)

    def thermal_zones(self) -> list[ThermalZone]:
        zones = []
        for directory in sorted((self.root / "sys/class/thermal").glob("thermal_zone*")):
            try:
                raw = int((directory / "temp").read_text().strip())
                kind = (directory / "type").read_text().strip() if (directory / "type").exists() else None
            except (OSError, ValueError):
                continue  # a zone whose sensor is off returns EINVAL/ENODATA on read
            celsius = raw / 1000 if abs(raw) > 200 else float(raw)  # millidegrees, except on a few old BSPs
            if _PLAUSIBLE_C[0] <= celsius <= _PLAUSIBLE_C[1]:
                zones.append(ThermalZone(zone=directory.name, type=kind, temp_c=round(celsius, 1)))
        return zones

    def soc_temperature(self) -> float | None:
        zones = self.thermal_zones()
        soc = [zone.temp_c for zone in zones if zone.measures_soc]
        return max(soc or [zone.temp_c for zone in zones], default=None)

    def device_tree_model(self) -> str | None:
        try:
            return self.read("proc/device-tree/model").strip("\x00\n ") or None
        except OSError:
            return None

    def device_tree_compatible(self) -> list[str]:
        try:
            entries = self.read("proc/device-tree/compatible").split("\x00")
        except OSError:
            return []
        return [entry for entry in entries if entry.strip()]
