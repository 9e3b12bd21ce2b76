"""Parser for the boxed card table of Huawei ``npu-smi info`` (Atlas 310, 310P and 910 series).

Each card prints an NPU row (id, name | health | power, temp, hugepages) over a chip row (chip, device
| bus id | AI core %, memory, HBM). Widths and columns vary with series and driver release, so values
are assigned by the labels of the two header rows, not by position; "NA" and "-" mean "not reported".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


class NpuSmiFormatError(ValueError):
    """The text is not npu-smi output this parser understands (an error message, a foreign table...)."""


@dataclass(frozen=True)
class NpuChip:
    """One NPU row of the table merged with the chip row printed under it."""

    npu_id: int
    chip_id: int | None = None
    name: str | None = None
    health: str | None = None
    power_w: float | None = None
    temp_c: float | None = None
    hugepages_used: int | None = None
    hugepages_total: int | None = None
    device_id: int | None = None  # logical device ("Device") or "Phy-ID"; the 910 layout has neither
    bus_id: str | None = None
    aicore_pct: float | None = None
    memory_used_mb: int | None = None
    memory_total_mb: int | None = None
    hbm_used_mb: int | None = None
    hbm_total_mb: int | None = None

    @property
    def npu_memory_used_mb(self) -> int | None:
        """Training chips hold tensors in HBM; inference chips (310, 310P) only have DDR "Memory"."""
        return self.hbm_used_mb if self.hbm_total_mb else self.memory_used_mb


@dataclass(frozen=True)
class NpuSmiInfo:
    tool_version: str | None
    driver_version: str | None
    chips: tuple[NpuChip, ...]

    @property
    def npu_ids(self) -> list[int]:
        return sorted({chip.npu_id for chip in self.chips})


_VERSIONS = re.compile(r"npu-smi\s+v?([0-9][0-9A-Za-z._-]*).*?Version:\s*([0-9][0-9A-Za-z._-]*)")
_LABEL = re.compile(r"[A-Za-z][\w-]*\([^)]*\)")
_VALUE = re.compile(r"([^\s/]+)\s*/\s*([^\s/]+)|(\S+)")  # "1197 / 13553", "31842/ 32768" or "NA"
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ID = re.compile(r"[0-9]+|NA")
_RULE_CHARS = frozenset("+-=|")
_COLUMNS = {
    "power": "power_w",
    "temp": "temp_c",
    "hugepages-usage": "hugepages",
    "aicore": "aicore_pct",
    "memory-usage": "memory",
    "hbm-usage": "hbm",
}


def parse_npu_smi_info(text: str) -> NpuSmiInfo:
    versions: tuple[str, str] | None = None
    npu_labels: list[str] | None = None
    chip_labels: list[str] | None = None
    chips: list[NpuChip] = []
    pending: NpuChip | None = None  # an NPU row still waiting for its chip row
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and set(stripped) <= _RULE_CHARS and stripped[0] == "+":
            if pending is not None:
                chips.append(pending)
            pending = None
            continue
        if not stripped.startswith("|"):
            continue  # shell prompts, blank lines, anything printed around the table
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if versions is None and (found := _VERSIONS.search(stripped)):
            versions = (found[1], found[2])
        elif any("Process id" in cell for cell in cells):
            break  # the per-process table that follows the card table
        elif npu_labels is None or chip_labels is None:
            if len(cells) >= 3 and cells[0].startswith("NPU") and "Health" in cells[1]:
                npu_labels = _labels(cells[2])
            elif len(cells) >= 3 and cells[0].startswith("Chip") and "Bus-Id" in cells[1]:
                chip_labels = _labels(cells[2])
        elif len(cells) != 3:
            raise NpuSmiFormatError(f"line {number}: a card row has 3 cells, found {len(cells)}")
        elif pending is None:
            pending = _npu_row(cells, npu_labels, number)
        else:
            chips.append(_with_chip_row(pending, cells, chip_labels, number))
            pending = None
    if npu_labels is None or chip_labels is None:
        raise NpuSmiFormatError("not npu-smi info output: no 'NPU Name | Health' and 'Chip | Bus-Id' header")
    if pending is not None:
        chips.append(pending)
    tool_version, driver_version = versions or (None, None)
    return NpuSmiInfo(tool_version, driver_version, tuple(chips))


def _npu_row(cells: list[str], labels: list[str], number: int) -> NpuChip:
    ident = cells[0].split()
    if not ident or not re.fullmatch(r"[0-9]+", ident[0]):
        raise NpuSmiFormatError(f"line {number}: an NPU row starts with the NPU id, found {cells[0]!r}")
    values = _column_values(cells[2], labels)
    hugepages = _pair(values.get("hugepages"))
    return NpuChip(
        npu_id=int(ident[0]),
        name=" ".join(ident[1:]) or None,
        health=_text(cells[1]),
        power_w=_number(values.get("power_w")),
        temp_c=_number(values.get("temp_c")),
        hugepages_used=hugepages[0],
        hugepages_total=hugepages[1],
    )


def _with_chip_row(npu: NpuChip, cells: list[str], labels: list[str], number: int) -> NpuChip:
    ident = cells[0].split()
    if not ident or len(ident) > 2 or not all(_ID.fullmatch(token) for token in ident):
        raise NpuSmiFormatError(f"line {number}: a chip row starts with the chip id, found {cells[0]!r}")
    values = _column_values(cells[2], labels)
    memory, hbm = _pair(values.get("memory")), _pair(values.get("hbm"))
    return replace(
        npu,
        chip_id=_integer(ident[0]),
        device_id=_integer(ident[1]) if len(ident) > 1 else None,
        bus_id=_text(cells[1]),
        aicore_pct=_number(values.get("aicore_pct")),
        memory_used_mb=memory[0],
        memory_total_mb=memory[1],
        hbm_used_mb=hbm[0],
        hbm_total_mb=hbm[1],
    )


def _labels(header_cell: str) -> list[str]:
    return [_COLUMNS.get(label.split("(")[0].lower(), label) for label in _LABEL.findall(header_cell)]


def _column_values(cell: str, labels: list[str]) -> dict[str, object]:
    values = [(m[1], m[2]) if m[3] is None else m[3] for m in _VALUE.finditer(cell)]
    return dict(zip(labels, values, strict=False))


def _text(cell: str) -> str | None:
    return None if cell in ("", "NA", "-") else cell


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, str) and _NUMBER.fullmatch(value) else None


def _integer(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _pair(value: object) -> tuple[int | None, int | None]:
    return (_integer(value[0]), _integer(value[1])) if isinstance(value, tuple) else (None, None)
