"""Parser for ``npu-smi info -t usages -i N`` and the other ``key : value`` reports of npu-smi.

The report lists a header (NPU ID, Chip Count) and one block per chip. Releases disagree on where
"Chip ID" goes (last line of a block for usages, first for -t common) and on whether blank lines
separate blocks, so a block ends at a blank line or when a key repeats. The 310 says "Memory", the
310P "DDR", the 910 adds "HBM"; an "mcu" block (board controller) is not a compute chip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from adapters.platform.npu_smi import NpuSmiFormatError

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][^:]*?)\s*:\s*(.*?)\s*$")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class ChipUsage:
    npu_id: int | None
    chip_id: int | None
    memory_capacity_mb: int | None = None
    memory_usage_pct: float | None = None
    hbm_capacity_mb: int | None = None
    hbm_usage_pct: float | None = None
    aicore_pct: float | None = None
    aicpu_pct: float | None = None
    ctrlcpu_pct: float | None = None
    fields: dict[str, str] = field(default_factory=dict, compare=False)  # every line, as printed

    @property
    def npu_memory_used_mb(self) -> int | None:
        """Used MB estimated from capacity x rate: HBM on training chips, DDR memory otherwise."""
        capacity, rate = self.memory_capacity_mb, self.memory_usage_pct
        if self.hbm_capacity_mb:
            capacity, rate = self.hbm_capacity_mb, self.hbm_usage_pct
        if capacity is None or rate is None:
            return None
        return round(capacity * rate / 100)


def parse_key_value_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        found = _KEY_VALUE.match(line)
        if found is None or found[1] in current:
            if current and (found is not None or not line.strip()):
                blocks.append(current)
                current = {}
            if found is None:
                continue
        current[found[1]] = found[2]
    if current:
        blocks.append(current)
    return blocks


def parse_npu_smi_usages(text: str) -> tuple[ChipUsage, ...]:
    blocks = parse_key_value_blocks(text)
    npu_id = next((_integer(block["NPU ID"]) for block in blocks if "NPU ID" in block), None)
    usages = []
    for block in blocks:
        lowered = {key.lower(): value for key, value in block.items()}
        if lowered.get("chip name", "").lower() == "mcu":
            continue
        if not any("usage rate" in key or "capacity(mb)" in key for key in lowered):
            continue  # the header block (NPU ID, Chip Count)
        usages.append(_chip_usage(npu_id, lowered, block))
    if not usages:
        raise NpuSmiFormatError("not npu-smi usages output: no chip block with usage rates")
    return tuple(usages)


def _chip_usage(npu_id: int | None, lowered: dict[str, str], block: dict[str, str]) -> ChipUsage:
    def first(*keys: str) -> str | None:
        return next((lowered[key] for key in keys if key in lowered), None)

    return ChipUsage(
        npu_id=npu_id,
        chip_id=_integer(lowered.get("chip id")),
        memory_capacity_mb=_integer(first("memory capacity(mb)", "ddr capacity(mb)")),
        memory_usage_pct=_number(first("memory usage rate(%)", "ddr usage rate(%)")),
        hbm_capacity_mb=_integer(first("hbm capacity(mb)")),
        hbm_usage_pct=_number(first("hbm usage rate(%)")),
        aicore_pct=_number(first("aicore usage rate(%)", "ai core usage rate(%)")),
        aicpu_pct=_number(first("aicpu usage rate(%)")),
        ctrlcpu_pct=_number(first("ctrlcpu usage rate(%)")),
        fields=dict(block),
    )


def _number(value: str | None) -> float | None:
    return float(value) if value is not None and _NUMBER.fullmatch(value) else None


def _integer(value: str | None) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None
