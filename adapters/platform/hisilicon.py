"""Platform probe for HiSilicon SoC boards (Hi35xx camera SoCs, Kirin/Kunpeng-based edge boxes).

These boards run a vendor BSP kernel without npu-smi or lm-sensors, so everything comes from /proc
and /sys/class/thermal; the device tree names the board.
"""

from __future__ import annotations

from pathlib import Path

from adapters.platform.commands import CommandRunner, run_command
from adapters.platform.diagnostics import gigabytes, guarded, host_report, optional
from adapters.platform.procfs import LinuxHost
from adapters.platform.tee import detect_tee
from ports.platform import PlatformFacts, PlatformMetrics

HISILICON_CPU_IMPLEMENTER = "0x48"  # the ARM "CPU implementer" code assigned to HiSilicon


def looks_like_hisilicon(host: LinuxHost) -> bool:
    implementers = optional(lambda: {block.get("CPU implementer") for block in host.cpuinfo()}) or set()
    names = " ".join([host.device_tree_model() or "", *host.device_tree_compatible()]).lower()
    return HISILICON_CPU_IMPLEMENTER in implementers or "hisilicon" in names or "hisi," in names


class HiSiliconProbe:
    name = "hisilicon"

    def __init__(
        self, root: str | Path = "/", runner: CommandRunner = run_command, state_dir: str | Path | None = None
    ) -> None:
        self.host = LinuxHost(root)
        self._runner = runner
        self._state_dir = state_dir

    def facts(self) -> PlatformFacts:
        host = self.host
        compatible, tee = host.device_tree_compatible(), detect_tee(host)
        return PlatformFacts(
            platform="hisilicon",
            model=host.device_tree_model()
            or (compatible[0] if compatible else None)
            or optional(lambda: host.cpuinfo_value("Hardware"))
            or "HiSilicon SoC",
            cores=optional(host.cpu_count),
            memory_gb=optional(lambda: gigabytes(host.meminfo_kb()["MemTotal"], 1024)),
            # The vendor SDK ships kernel and rootfs as one firmware image; the kernel release names it.
            firmware_version=optional(lambda: host.read("proc/sys/kernel/osrelease").strip() or None),
            tee_enabled=tee is not None,
            tee_type=tee,
            extra={
                "compatible": compatible,
                "cpu_implementer": optional(lambda: host.cpuinfo_value("CPU implementer")),
                "cpu_part": optional(lambda: host.cpuinfo_value("CPU part")),
            },
        )

    def metrics(self) -> PlatformMetrics:
        return PlatformMetrics(
            cpu_usage=optional(self.host.cpu_usage),
            memory_usage=optional(self.host.memory_usage),
            temperature=optional(self.host.soc_temperature),
            uptime_seconds=optional(self.host.uptime_seconds),
        )

    def diagnostics(self) -> dict:
        return {
            "platform": self.name,
            "model": guarded(lambda: self.facts().model),
            **host_report(self.host, self._runner, self._state_dir),
        }
