"""Turning per-chip npu-smi readings into the few figures a fleet dashboard shows for a device."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from statistics import fmean
from typing import Any

from adapters.platform.npu_smi import NpuChip
from adapters.platform.npu_smi_usages import ChipUsage

_HEALTH_RANK = {"ok": 0, "warning": 2, "alarm": 3, "critical": 4}  # anything unrecognised ranks 1


def worst_health(healths: Iterable[str | None]) -> str | None:
    reported = [health for health in healths if health]
    return max(reported, key=lambda health: _HEALTH_RANK.get(health.lower(), 1), default=None)


def ascend_name(chip_name: str) -> str:
    """ "310P3" and "Ascend910" as printed by different releases -> "Ascend 310P3", "Ascend 910"."""
    return f"Ascend {chip_name.removeprefix('Ascend').strip()}"


def npu_figures(chips: Sequence[NpuChip]) -> dict[str, Any]:
    """Mean AI core load, summed memory and power, hottest die, worst health."""
    aicore = [chip.aicore_pct for chip in chips if chip.aicore_pct is not None]
    memory = [chip.npu_memory_used_mb for chip in chips if chip.npu_memory_used_mb is not None]
    power = [chip.power_w for chip in chips if chip.power_w is not None]
    temps = [chip.temp_c for chip in chips if chip.temp_c is not None]
    return {
        "ai_core_usage": round(fmean(aicore), 1) if aicore else None,
        "npu_memory_used_mb": float(sum(memory)) if memory else None,
        "power_w": round(sum(power), 1) if power else None,
        "temperature": max(temps, default=None),
        "npu_health": worst_health(chip.health for chip in chips),
    }


def has_gaps(chip: NpuChip) -> bool:
    return chip.aicore_pct is None or chip.npu_memory_used_mb is None


def fill_gaps(chip: NpuChip, usages: Sequence[ChipUsage]) -> NpuChip:
    """Complete a table row with the usages report of the same chip (or of the card's only chip)."""
    usage = next((u for u in usages if u.chip_id == chip.chip_id), usages[0] if len(usages) == 1 else None)
    if usage is None:
        return chip
    if chip.aicore_pct is None:
        chip = replace(chip, aicore_pct=usage.aicore_pct)
    if chip.npu_memory_used_mb is None and usage.npu_memory_used_mb is not None:
        if usage.hbm_capacity_mb:
            chip = replace(chip, hbm_used_mb=usage.npu_memory_used_mb, hbm_total_mb=usage.hbm_capacity_mb)
        else:
            chip = replace(
                chip, memory_used_mb=usage.npu_memory_used_mb, memory_total_mb=usage.memory_capacity_mb
            )
    return chip
