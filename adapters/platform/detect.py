"""Choosing the platform probe for the machine the agent runs on (``--platform`` overrides)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from adapters.platform.atlas import AtlasProbe
from adapters.platform.commands import CommandRunner, run_command
from adapters.platform.hisilicon import HiSiliconProbe, looks_like_hisilicon
from adapters.platform.linux import GenericLinuxProbe
from adapters.platform.procfs import LinuxHost
from ports.platform import PlatformProbe

PLATFORMS = ("atlas", "hisilicon", "linux")
# The driver installs npu-smi in sbin, which is off an unprivileged agent's PATH (and RC-mode
# Atlas 200 installs it nowhere else).
NPU_SMI_LOCATIONS = ("usr/local/sbin/npu-smi", "usr/local/bin/npu-smi")

Which = Callable[[str], str | None]


def detect_platform(root: str | Path = "/", which: Which = shutil.which) -> str:
    host = LinuxHost(root)
    if _npu_smi_path(host, which) or any((host.root / "dev").glob("davinci*")):
        return "atlas"
    if looks_like_hisilicon(host):
        return "hisilicon"
    return "linux"


def detect_probe(
    override: str | None = None,
    root: str | Path = "/",
    which: Which = shutil.which,
    *,
    runner: CommandRunner = run_command,
    state_dir: str | Path | None = None,
) -> PlatformProbe:
    if override is not None and override.strip().lower() not in PLATFORMS:
        raise ValueError(f"unknown platform {override!r}; expected one of: {', '.join(PLATFORMS)}")
    chosen = override.strip().lower() if override is not None else detect_platform(root, which)
    if chosen == "atlas":
        npu_smi = _npu_smi_path(LinuxHost(root), which) or "npu-smi"
        return AtlasProbe(runner=runner, root=root, npu_smi=npu_smi, state_dir=state_dir)
    if chosen == "hisilicon":
        return HiSiliconProbe(root=root, runner=runner, state_dir=state_dir)
    return GenericLinuxProbe(root=root, runner=runner, state_dir=state_dir)


def _npu_smi_path(host: LinuxHost, which: Which) -> str | None:
    on_path = which("npu-smi")
    if on_path:
        return on_path
    return next((str(host.root / location) for location in NPU_SMI_LOCATIONS if host.exists(location)), None)
