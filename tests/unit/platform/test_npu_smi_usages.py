"""``npu-smi info -t usages`` reports parse into one usage record per compute chip."""

from __future__ import annotations

import pytest

from adapters.platform.npu_smi import NpuSmiFormatError
from adapters.platform.npu_smi_usages import ChipUsage, parse_key_value_blocks, parse_npu_smi_usages
from tests.unit.platform.conftest import npu_smi_text


def test_an_ascend_310_reports_memory_aicore_aicpu_and_ctrlcpu_rates():
    (usage,) = parse_npu_smi_usages(npu_smi_text("atlas500_310_usages.txt"))

    assert usage == ChipUsage(
        npu_id=0,
        chip_id=0,
        memory_capacity_mb=8192,
        memory_usage_pct=35.0,
        aicore_pct=23.0,
        aicpu_pct=4.0,
        ctrlcpu_pct=11.0,
    )
    assert usage.fields["Memory Bandwidth Usage Rate(%)"] == "6"
    assert usage.npu_memory_used_mb == 2867  # 35 % of 8192 MB


def test_each_chip_of_a_four_chip_card_gets_its_own_block_and_na_stays_missing():
    usages = parse_npu_smi_usages(npu_smi_text("atlas300i_310x4_usages.txt"))

    assert [(usage.npu_id, usage.chip_id) for usage in usages] == [(1, 0), (1, 1), (1, 2), (1, 3)]
    assert [usage.aicore_pct for usage in usages] == [12.0, 0.0, None, 40.0]


def test_a_310p3_duo_reports_ddr_as_its_memory():
    usages = parse_npu_smi_usages(npu_smi_text("atlas300i_duo_310p3_usages.txt"))

    assert [(usage.chip_id, usage.memory_capacity_mb, usage.memory_usage_pct) for usage in usages] == [
        (0, 44280, 91.0),
        (1, 43693, 91.0),
    ]
    assert usages[0].fields["Vectorcore Usage Rate(%)"] == "61"


def test_a_910b_reports_hbm_and_its_used_memory_is_estimated_from_hbm():
    (usage,) = parse_npu_smi_usages(npu_smi_text("atlas800t_a2_910b3_usages.txt"))

    assert (usage.npu_id, usage.hbm_capacity_mb, usage.hbm_usage_pct) == (1, 65536, 93.0)
    assert usage.aicore_pct == 92.0
    assert usage.npu_memory_used_mb == 60948


def test_two_dies_printed_without_a_blank_line_between_them_are_still_two_chips():
    usages = parse_npu_smi_usages(npu_smi_text("atlas800t_a3_ascend910_usages.txt"))

    assert [(usage.chip_id, usage.hbm_usage_pct, usage.aicore_pct) for usage in usages] == [
        (0, 80.0, 63.0),
        (1, 79.0, 61.0),
    ]


def test_a_block_that_opens_with_its_chip_id_is_read_the_same_way():
    text = (
        "NPU ID : 3\nChip Count : 2\n\n"
        "Chip ID : 0\nMemory Usage Rate(%) : 3\nAicore Usage Rate(%) : 7\n\n"
        "Chip ID : 1\nMemory Usage Rate(%) : 4\nAicore Usage Rate(%) : 9\n\n"
        "Chip Name : mcu\nTemperature(C) : 48\n"
    )

    usages = parse_npu_smi_usages(text)

    assert [(usage.npu_id, usage.chip_id, usage.aicore_pct) for usage in usages] == [(3, 0, 7.0), (3, 1, 9.0)]


def test_key_value_blocks_split_at_blank_lines_and_at_repeated_keys():
    blocks = parse_key_value_blocks("A : 1\nB : 2\n\nA : 3\nA : 4\nnot a pair\nB : 5\n")

    assert blocks == [{"A": "1", "B": "2"}, {"A": "3"}, {"A": "4", "B": "5"}]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "This device does not support querying usages.\n",
        "NPU ID : 0\nChip Count : 1\n",
        npu_smi_text("atlas500_310_info.txt"),
    ],
)
def test_text_without_usage_rates_is_rejected_with_a_format_error(text):
    with pytest.raises(NpuSmiFormatError):
        parse_npu_smi_usages(text)
