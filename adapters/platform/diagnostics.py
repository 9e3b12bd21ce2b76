"""Building blocks of the ``diagnose`` report shared by the platform probes.

A report is collected when something is already wrong, so no section may take the others down with
it: every section runs guarded and a failure is written into the report instead of raised.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import TypeVar

from adapters.platform.commands import CommandRunner
from adapters.platform.procfs import LinuxHost

T = TypeVar("T")
MB = 1024 * 1024
KERNEL_ERROR_LINES = 20


def guarded(section: Callable[[], object]) -> object:
    try:
        return section()
    except Exception as exc:  # noqa: BLE001 - the report must never raise
        return {"error": f"{type(exc).__name__}: {exc}"}


def optional(read: Callable[[], T]) -> T | None:
    """A metric that cannot be read is reported as missing rather than failing the whole heartbeat."""
    try:
        return read()
    except (OSError, ValueError, KeyError, ZeroDivisionError):
        return None


def disk_usage(paths: dict[str, Path | str]) -> dict[str, object]:
    return {label: guarded(partial(_disk, Path(path))) for label, path in paths.items()}


def kernel_errors(runner: CommandRunner) -> dict[str, object]:
    # Reading the ring buffer needs CAP_SYSLOG on hardened kernels; the guard reports that case.
    lines = [line for line in runner(["dmesg", "--level=emerg,alert,crit,err"]).splitlines() if line.strip()]
    return {"count": len(lines), "last": lines[-KERNEL_ERROR_LINES:]}


def memory_report(host: LinuxHost) -> dict[str, object]:
    info = host.meminfo_kb()
    return {
        "total_mb": info["MemTotal"] // 1024,
        "available_mb": info.get("MemAvailable", info.get("MemFree", 0)) // 1024,
        "swap_free_mb": info.get("SwapFree", 0) // 1024,
        "used_pct": host.memory_usage(),
    }


def thermal_report(host: LinuxHost) -> list[dict[str, object]]:
    return [asdict(zone) | {"soc": zone.measures_soc} for zone in host.thermal_zones()]


def host_report(host: LinuxHost, runner: CommandRunner, state_dir: Path | str | None) -> dict[str, object]:
    """Disk, memory, thermal and kernel-error sections for a Linux host read through procfs."""
    paths: dict[str, Path | str] = {"/": host.root}
    if state_dir is not None:
        paths["state_dir"] = state_dir
    return {
        "disk": disk_usage(paths),
        "memory": guarded(lambda: memory_report(host)),
        "thermal": guarded(lambda: thermal_report(host)),
        "kernel_errors": guarded(lambda: kernel_errors(runner)),
    }


def gigabytes(amount: int, unit_bytes: int) -> int | None:
    """Installed memory in whole GB; a 512 MB board still reports 1 rather than 0."""
    if amount <= 0:
        return None
    return max(1, round(amount * unit_bytes / 1024**3))


def _disk(path: Path) -> dict[str, object]:
    usage = shutil.disk_usage(path)
    return {
        "path": str(path),
        "total_mb": usage.total // MB,
        "used_mb": usage.used // MB,
        "free_mb": usage.free // MB,
        "used_pct": round(100.0 * usage.used / usage.total, 1) if usage.total else None,
    }
