"""``npu-smi info`` card tables of the Atlas 310, 310P and 910 series parse into per-chip readings."""

from __future__ import annotations

import pytest

from adapters.platform.npu_figures import worst_health
from adapters.platform.npu_smi import NpuChip, NpuSmiFormatError, parse_npu_smi_info
from tests.unit.platform.conftest import npu_smi_text


def test_an_atlas_500_with_one_ascend_310_reports_power_temperature_and_ddr_memory():
    info = parse_npu_smi_info(npu_smi_text("atlas500_310_info.txt"))

    assert (info.tool_version, info.driver_version) == ("20.2.0", "20.2.0")
    assert info.chips == (
        NpuChip(
            npu_id=0,
            chip_id=0,
            name="310",
            health="OK",
            power_w=12.8,
            temp_c=58.0,
            hugepages_used=0,
            hugepages_total=970,
            device_id=0,
            bus_id="0000:01:00.0",
            aicore_pct=23.0,
            memory_used_mb=2904,
            memory_total_mb=8192,
        ),
    )
    assert info.chips[0].npu_memory_used_mb == 2904


def test_an_atlas_300i_card_lists_its_four_310_chips_under_the_same_npu_id():
    chips = parse_npu_smi_info(npu_smi_text("atlas300i_310x4_info.txt")).chips

    assert [(chip.npu_id, chip.chip_id, chip.device_id) for chip in chips] == [
        (1, 0, 0),
        (1, 1, 1),
        (1, 2, 2),
        (1, 3, 3),
    ]
    assert [chip.health for chip in chips] == ["OK", "OK", "Warning", "OK"]
    assert all(chip.power_w is None for chip in chips)  # "NA": the card reports no per-chip power
    assert chips[2].aicore_pct is None
    assert chips[3].memory_used_mb == 3380


def test_an_atlas_200_in_rc_mode_has_no_bus_id_and_an_old_npu_smi_prints_no_hugepages_column():
    info = parse_npu_smi_info(npu_smi_text("atlas200_310_info.txt"))

    assert (info.tool_version, info.driver_version) == ("1.7.6", "20.1.0")
    (chip,) = info.chips
    assert chip.bus_id is None
    assert (chip.hugepages_used, chip.hugepages_total) == (None, None)
    assert (chip.memory_used_mb, chip.memory_total_mb) == (1688, 3806)


def test_an_atlas_300i_duo_reports_each_310p3_chip_with_its_own_temperature():
    chips = parse_npu_smi_info(npu_smi_text("atlas300i_duo_310p3_info.txt")).chips

    assert [(chip.npu_id, chip.chip_id, chip.device_id) for chip in chips] == [
        (2, 0, 0),
        (2, 1, 1),
        (5, 0, 2),
        (5, 1, 3),
    ]
    assert [chip.temp_c for chip in chips] == [63.0, 61.0, 88.0, 84.0]
    assert [chip.memory_used_mb for chip in chips] == [14211, 13877, 40115, 39960]
    assert chips[2].health == "Alarm"
    assert (chips[2].hugepages_used, chips[2].hugepages_total) == (8192, 8192)


def test_an_atlas_300i_pro_reports_board_power_for_each_310p3():
    chips = parse_npu_smi_info(npu_smi_text("atlas300i_pro_310p3_info.txt")).chips

    assert [(chip.name, chip.power_w, chip.memory_total_mb) for chip in chips] == [
        ("310P3", 21.5, 21527),
        ("310P3", 19.9, 21527),
    ]


def test_a_910_training_server_reports_hbm_next_to_ddr_and_na_for_a_failed_chip():
    chips = parse_npu_smi_info(npu_smi_text("atlas800_910prob_info.txt")).chips

    assert [chip.npu_id for chip in chips] == [0, 1, 2, 3]
    assert chips[0].device_id is None  # the 910 layout has no "Device" column
    assert (chips[0].hbm_used_mb, chips[0].hbm_total_mb) == (29406, 32768)
    assert chips[0].npu_memory_used_mb == 29406
    failed = chips[2]
    assert (failed.health, failed.power_w, failed.temp_c, failed.aicore_pct) == ("Critical", None, None, None)


def test_a_910b_server_with_no_ddr_counts_hbm_as_npu_memory():
    chips = parse_npu_smi_info(npu_smi_text("atlas800t_a2_910b3_info.txt")).chips

    assert (chips[1].memory_used_mb, chips[1].memory_total_mb) == (0, 0)
    assert [chip.npu_memory_used_mb for chip in chips] == [3396, 61207, 61207, 3391]
    assert [chip.power_w for chip in chips] == [96.4, 313.2, 305.8, 95.1]


def test_an_a3_card_reports_two_dies_by_phy_id_and_only_the_first_one_reports_power():
    chips = parse_npu_smi_info(npu_smi_text("atlas800t_a3_ascend910_info.txt")).chips

    assert [(chip.npu_id, chip.chip_id, chip.device_id) for chip in chips] == [
        (0, 0, 0),
        (0, 1, 1),
        (1, 0, 2),
        (1, 1, 3),
    ]
    assert [chip.power_w for chip in chips] == [178.5, None, 163.0, None]
    assert [chip.hbm_used_mb for chip in chips] == [52211, 52018, 3170, 2893]


def test_the_process_table_after_the_card_table_is_not_read_as_cards():
    chips = parse_npu_smi_info(npu_smi_text("atlas300i_duo_310p3_info.txt")).chips

    assert len(chips) == 4


def test_a_table_indented_and_preceded_by_a_shell_prompt_still_parses():
    text = "[root@atlas ~]# npu-smi info\n" + "".join(
        "    " + line + "\n" for line in npu_smi_text("atlas500_310_info.txt").splitlines()
    )

    assert parse_npu_smi_info(text).chips[0].temp_c == 58.0


def test_a_table_with_a_header_but_no_cards_has_no_chips():
    header = "\n".join(npu_smi_text("atlas800t_a2_910b3_info.txt").splitlines()[:6])

    assert parse_npu_smi_info(header).chips == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "dcmi module initialize failed. ret is -8005\n",
        "-bash: npu-smi: command not found\n",
        "| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |\n",
    ],
)
def test_text_that_is_not_npu_smi_output_is_rejected_with_a_format_error(text):
    with pytest.raises(NpuSmiFormatError):
        parse_npu_smi_info(text)


def test_a_card_row_with_a_missing_cell_is_rejected_with_its_line_number():
    lines = npu_smi_text("atlas500_310_info.txt").splitlines()
    lines[6] = "| 0       310                   | OK              |"

    with pytest.raises(NpuSmiFormatError, match="line 7"):
        parse_npu_smi_info("\n".join(lines))


def test_the_format_error_is_a_value_error():
    assert issubclass(NpuSmiFormatError, ValueError)


def test_the_worst_health_ranks_critical_above_alarm_above_warning_above_ok():
    assert worst_health(["OK", "Warning", "OK"]) == "Warning"
    assert worst_health(["Alarm", "Critical", "Warning"]) == "Critical"
    assert worst_health(["OK", "UNKNOWN"]) == "UNKNOWN"
    assert worst_health(["Warning", "UNKNOWN"]) == "Warning"
    assert worst_health([None, None]) is None
