"""The Atlas probe turns npu-smi output into fleet metrics and facts, and survives npu-smi failing."""

from __future__ import annotations

import threading
import time

import pytest

from adapters.platform.atlas import AtlasProbe
from adapters.platform.commands import CommandFailed
from adapters.platform.npu_figures import ascend_name, npu_figures
from tests.unit.platform.conftest import HISILICON_ROOT, ScriptedRunner, npu_smi_text

NPU_SMI = "/usr/local/sbin/npu-smi"
DMESG = ("dmesg", "--level=emerg,alert,crit,err")


def usages(npu_id: int) -> tuple[str, ...]:
    return (NPU_SMI, "info", "-t", "usages", "-i", str(npu_id))


def atlas(script: dict, root=HISILICON_ROOT, **kwargs) -> tuple[AtlasProbe, ScriptedRunner]:
    runner = ScriptedRunner(script)
    return AtlasProbe(runner=runner, root=root, npu_smi=NPU_SMI, **kwargs), runner


def test_a_310p3_duo_server_reports_mean_aicore_summed_memory_hottest_chip_and_worst_health():
    probe, runner = atlas({(NPU_SMI, "info"): npu_smi_text("atlas300i_duo_310p3_info.txt")})

    metrics = probe.metrics()

    assert metrics.ai_core_usage == pytest.approx((37 + 29 + 98 + 95) / 4, abs=0.06)
    assert metrics.npu_memory_used_mb == 14211 + 13877 + 40115 + 39960
    assert metrics.power_w is None  # every 310P3 row says "NA"
    assert metrics.temperature == 88.0
    assert metrics.npu_health == "Alarm"
    assert runner.calls == [(NPU_SMI, "info")]  # the table had every figure: no usages query


def test_a_910_server_sums_hbm_and_power_and_asks_usages_only_for_the_card_with_gaps():
    probe, runner = atlas(
        {
            (NPU_SMI, "info"): npu_smi_text("atlas800_910prob_info.txt"),
            usages(2): npu_smi_text("atlas800_910prob_usages.txt"),
        }
    )

    metrics = probe.metrics()

    assert metrics.npu_memory_used_mb == 29406 + 29406 + 0 + 3
    assert metrics.power_w == pytest.approx(187.3 + 179.0 + 73.9)
    assert metrics.ai_core_usage == pytest.approx((71 + 68 + 0) / 3, abs=0.06)
    assert metrics.temperature == 52.0
    assert metrics.npu_health == "Critical"
    assert runner.calls == [(NPU_SMI, "info"), usages(2)]


def test_an_aicore_figure_missing_from_the_table_is_taken_from_the_usages_report():
    report = npu_smi_text("atlas300i_310x4_usages.txt").replace(
        "Aicore Usage Rate(%)           : NA", "Aicore Usage Rate(%)           : 17"
    )
    probe, _ = atlas({(NPU_SMI, "info"): npu_smi_text("atlas300i_310x4_info.txt"), usages(1): report})

    assert probe.metrics().ai_core_usage == pytest.approx((12 + 0 + 17 + 40) / 4, abs=0.06)


def test_memory_missing_from_the_table_is_estimated_from_capacity_and_usage_rate():
    table = npu_smi_text("atlas500_310_info.txt").replace("2904 / 8192", "NA   / NA  ")
    probe, _ = atlas({(NPU_SMI, "info"): table, usages(0): npu_smi_text("atlas500_310_usages.txt")})

    assert probe.metrics().npu_memory_used_mb == round(8192 * 0.35)


def test_an_unreadable_usages_report_leaves_the_gap_without_failing_the_metrics():
    probe, _ = atlas(
        {
            (NPU_SMI, "info"): npu_smi_text("atlas300i_310x4_info.txt"),
            usages(1): CommandFailed("npu-smi timed out"),
        }
    )

    assert probe.metrics().ai_core_usage == pytest.approx((12 + 0 + 40) / 3, abs=0.06)


def test_when_npu_smi_fails_the_host_figures_are_still_reported_and_npu_health_is_unknown():
    probe, _ = atlas({(NPU_SMI, "info"): CommandFailed("dcmi module initialize failed. ret is -8005")})

    metrics = probe.metrics()

    assert metrics.npu_health == "UNKNOWN"
    assert (metrics.ai_core_usage, metrics.npu_memory_used_mb, metrics.power_w) == (None, None, None)
    assert metrics.temperature == 63.9  # the host SoC's hottest CPU zone stands in for the NPUs
    assert metrics.memory_usage == 40.0
    assert metrics.uptime_seconds == 76342
    assert 0 <= metrics.cpu_usage <= 100


def test_facts_name_the_ascend_chips_and_read_the_firmware_from_the_board_report():
    probe, runner = atlas(
        {
            (NPU_SMI, "info"): npu_smi_text("atlas500_310_info.txt"),
            (NPU_SMI, "info", "-t", "board", "-i", "0", "-c", "0"): npu_smi_text("atlas500_310_board.txt"),
        }
    )

    facts = probe.facts()

    assert facts.platform == "atlas"
    assert facts.model == "Atlas (Ascend 310)"
    assert facts.firmware_version == "1.76.22.3.220"
    assert facts.tee_enabled is True
    assert (facts.cores, facts.memory_gb) == (4, 4)
    assert facts.extra["driver_version"] == "20.2.0"
    assert facts.extra["npu_ids"] == [0]


def test_facts_of_a_mixed_or_a3_server_list_every_distinct_chip_name_once():
    probe, _ = atlas({(NPU_SMI, "info"): npu_smi_text("atlas800t_a3_ascend910_info.txt")})

    facts = probe.facts()

    assert facts.model == "Atlas (Ascend 910)"
    assert facts.firmware_version is None  # no board report scripted
    assert facts.extra["chip_count"] == 4


def test_facts_without_a_working_npu_smi_still_describe_an_atlas_host():
    probe, _ = atlas({})

    facts = probe.facts()

    assert (facts.platform, facts.model, facts.firmware_version) == ("atlas", "Atlas", None)
    assert "not scripted" in facts.extra["npu_smi_error"]


def test_diagnostics_report_npu_chips_usages_health_disk_memory_thermal_and_kernel_errors(tmp_path):
    probe, _ = atlas(
        {
            (NPU_SMI, "info"): npu_smi_text("atlas800t_a2_910b3_info.txt"),
            usages(1): npu_smi_text("atlas800t_a2_910b3_usages.txt"),
            DMESG: "[ 12.1] pcieport 0000:00:08.0: AER: Corrected error received\n[ 99.4] davinci: hdc timeout\n",
        },
        state_dir=tmp_path,
    )

    report = probe.diagnostics()

    assert report["platform"] == "atlas"
    assert report["npu"]["health"] == "OK"
    assert [chip["npu_id"] for chip in report["npu"]["chips"]] == [0, 1, 2, 3]
    assert report["npu"]["usages"]["1"][0]["hbm_usage_pct"] == 93.0
    assert "error" in report["npu"]["usages"]["0"]  # not scripted: reported, not raised
    assert set(report["disk"]) == {"/", "state_dir"}
    assert report["memory"]["total_mb"] == 3805
    assert report["kernel_errors"] == {
        "count": 2,
        "last": [
            "[ 12.1] pcieport 0000:00:08.0: AER: Corrected error received",
            "[ 99.4] davinci: hdc timeout",
        ],
    }


def test_diagnostics_never_raise_even_when_nothing_can_be_read(tmp_path):
    probe, _ = atlas({}, root=tmp_path / "missing")

    report = probe.diagnostics()

    assert "error" in report["npu"]
    assert "error" in report["memory"]
    assert "error" in report["kernel_errors"]
    assert "error" in report["disk"]["/"]


def test_npu_smi_is_never_run_twice_at_the_same_time():
    running, overlaps = [0], []
    lock = threading.Lock()

    def slow_runner(argv):
        with lock:
            running[0] += 1
            overlaps.append(running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return npu_smi_text("atlas500_310_info.txt")

    probe = AtlasProbe(runner=slow_runner, root=HISILICON_ROOT)
    threads = [threading.Thread(target=probe.metrics) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert max(overlaps) == 1


def test_chip_names_of_every_release_read_as_ascend_names():
    assert [ascend_name(name) for name in ["310", "310P3", "Ascend910", "910B4"]] == [
        "Ascend 310",
        "Ascend 310P3",
        "Ascend 910",
        "Ascend 910B4",
    ]


def test_a_server_without_npus_has_no_npu_figures():
    figures = npu_figures(())

    assert figures == dict.fromkeys(
        ["ai_core_usage", "npu_memory_used_mb", "power_w", "temperature", "npu_health"], None
    )
