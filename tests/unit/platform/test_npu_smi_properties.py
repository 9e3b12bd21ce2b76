"""Properties of the npu-smi parsers: rendered tables of any values parse back to the same values,
and no input, however mangled, escapes as anything but NpuSmiFormatError."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.platform.npu_smi import NpuChip, NpuSmiFormatError, parse_npu_smi_info
from adapters.platform.npu_smi_usages import parse_npu_smi_usages
from tests.unit.platform.conftest import NPU_SMI, npu_smi_text


@dataclass(frozen=True)
class Layout:
    chip_header: str  # "Chip    Device" (310/310P), "Chip" (910), "Chip  Phy-ID" (A3)
    hugepages: bool  # npu-smi before 20.x printed no hugepages column
    hbm: bool  # only training chips have an HBM column
    pads: tuple[int, int, int]  # extra spaces in each column: widths differ between releases
    pair_style: int
    indent: str


def optional(values):
    return st.one_of(st.none(), values)


megabytes = st.integers(0, 131072)
layouts = st.builds(
    Layout,
    chip_header=st.sampled_from(["Chip    Device", "Chip", "Chip  Phy-ID"]),
    hugepages=st.booleans(),
    hbm=st.booleans(),
    pads=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
    pair_style=st.integers(0, 2),
    indent=st.sampled_from(["", "    ", "\t"]),
)
chips = st.builds(
    NpuChip,
    npu_id=st.integers(0, 40000),
    chip_id=optional(st.integers(0, 3)),
    name=st.from_regex(r"[0-9A-Za-z]{1,12}", fullmatch=True),
    health=optional(st.sampled_from(["OK", "Warning", "Alarm", "Critical", "UNKNOWN"])),
    power_w=optional(st.integers(0, 9999).map(lambda tenths: tenths / 10)),
    temp_c=optional(st.integers(-20, 130).map(float)),
    hugepages_used=optional(st.integers(0, 20000)),
    hugepages_total=optional(st.integers(0, 20000)),
    device_id=optional(st.integers(0, 15)),
    bus_id=optional(st.from_regex(r"[0-9A-F]{4}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-7]", fullmatch=True)),
    aicore_pct=optional(st.integers(0, 100).map(float)),
    memory_used_mb=optional(megabytes),
    memory_total_mb=optional(megabytes),
    hbm_used_mb=optional(megabytes),
    hbm_total_mb=optional(megabytes),
)


def shown(value, missing="NA") -> str:
    if value is None:
        return missing
    return f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else str(int(value))


def pair(used, total, style: int) -> str:
    used, total = shown(used), shown(total)
    return [f"{used} / {total}", f"{used}/ {total}", f"{used:<5}/ {total}"][style]


def expected(chip: NpuChip, layout: Layout) -> NpuChip:
    """What a table of this layout can carry: columns it lacks read as missing."""
    changes = dict(power_w=chip.power_w)
    if layout.chip_header == "Chip":
        changes["device_id"] = None
    if not layout.hugepages:
        changes.update(hugepages_used=None, hugepages_total=None)
    if not layout.hbm:
        changes.update(hbm_used_mb=None, hbm_total_mb=None)
    return NpuChip(**{**chip.__dict__, **changes})


def render(version: str, cards: list[NpuChip], layout: Layout) -> str:
    npu_label = "Power(W)    Temp(C)" + ("           Hugepages-Usage(page)" if layout.hugepages else "")
    chip_label = "AICore(%)   Memory-Usage(MB)" + ("  HBM-Usage(MB)" if layout.hbm else "")
    rows = [("NPU   Name", "Health", npu_label), (layout.chip_header, "Bus-Id", chip_label)]
    for chip in cards:
        values = [shown(chip.power_w, "-"), shown(chip.temp_c)]
        if layout.hugepages:
            values.append(pair(chip.hugepages_used, chip.hugepages_total, layout.pair_style))
        rows.append((f"{chip.npu_id}     {chip.name}", chip.health or "NA", "   ".join(values)))
        device = "" if layout.chip_header == "Chip" else f"     {shown(chip.device_id)}"
        ident = shown(chip.chip_id) + device
        values = [shown(chip.aicore_pct), pair(chip.memory_used_mb, chip.memory_total_mb, layout.pair_style)]
        if layout.hbm:
            values.append(pair(chip.hbm_used_mb, chip.hbm_total_mb, layout.pair_style))
        rows.append((ident, chip.bus_id or "NA", "   ".join(values)))
    widths = [max(len(row[i]) for row in rows) + layout.pads[i] for i in range(3)]

    def line(cells) -> str:
        padded = (" " + cell.ljust(width - 1) for cell, width in zip(cells, widths, strict=True))
        return "|" + "|".join(padded) + "|"

    def rule(fill: str) -> str:
        return "+" + "+".join(fill * width for width in widths) + "+"

    out = [
        rule("-"),
        f"| npu-smi {version}      Version: {version} |",
        rule("-"),
        line(rows[0]),
        line(rows[1]),
        rule("="),
    ]
    for index in range(2, len(rows), 2):
        out += [line(rows[index]), line(rows[index + 1]), rule("=")]
    return "\n".join(layout.indent + text for text in out) + "\n"


@settings(max_examples=150, deadline=None)
@given(
    cards=st.lists(chips, max_size=6),
    layout=layouts,
    version=st.from_regex(r"[0-9]{1,2}\.[0-9]\.(rc[0-9]|[0-9])", fullmatch=True),
)
def test_a_rendered_table_of_any_values_parses_back_to_the_same_values(cards, layout, version):
    info = parse_npu_smi_info(render(version, cards, layout))

    assert info.tool_version == info.driver_version == version
    assert info.chips == tuple(expected(chip, layout) for chip in cards)


FIXTURE_TEXTS = [path.read_text() for path in sorted(NPU_SMI.glob("*.txt"))]
MANGLING_ALPHABET = st.sampled_from([*"|+-=/ :\n\tNA0123456789.x%()", "Health", "Chip", "NPU", "Bus-Id"])


@st.composite
def mangled_fixtures(draw) -> str:
    lines = draw(st.sampled_from(FIXTURE_TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "duplicate", "truncate", "splice"]))
        if edit == "drop":
            del lines[index]
        elif edit == "duplicate":
            lines.insert(index, lines[index])
        elif edit == "truncate":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        else:
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(MANGLING_ALPHABET) + lines[index][at:]
    return "\n".join(lines)


def parses_or_refuses(parser, text: str) -> None:
    with contextlib.suppress(NpuSmiFormatError):
        parser(text)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(), mangled_fixtures()))
def test_no_text_makes_the_table_parser_raise_anything_but_its_format_error(text):
    parses_or_refuses(parse_npu_smi_info, text)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(), mangled_fixtures()))
def test_no_text_makes_the_usages_parser_raise_anything_but_its_format_error(text):
    parses_or_refuses(parse_npu_smi_usages, text)


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20), st.text(max_size=40)), max_size=6)
)
def test_rows_of_arbitrary_cells_under_a_valid_header_never_escape_as_other_errors(cells):
    header = "\n".join(npu_smi_text("atlas800_910prob_info.txt").splitlines()[:6])
    body = "\n".join(f"| {first} | {second} | {third} |" for first, second, third in cells)

    parses_or_refuses(parse_npu_smi_info, header + "\n" + body)
