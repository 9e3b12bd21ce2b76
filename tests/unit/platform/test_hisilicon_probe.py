"""The HiSilicon probe reads CPU, memory, uptime, temperature and identity from /proc and /sys trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.platform.commands import CommandFailed
from adapters.platform.hisilicon import HiSiliconProbe
from adapters.platform.procfs import LinuxHost
from tests.unit.platform.conftest import HISILICON_ROOT, ScriptedRunner


@pytest.fixture
def board(tmp_path) -> Path:
    """A writable copy of the fixture tree, for tests that change what the kernel reports."""
    return Path(shutil.copytree(HISILICON_ROOT, tmp_path / "root"))


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_facts_come_from_the_device_tree_cpuinfo_meminfo_and_kernel_release():
    facts = HiSiliconProbe(root=HISILICON_ROOT).facts()

    assert facts.platform == "hisilicon"
    assert facts.model == "Hisilicon Hi3559AV100 DMEB Board"
    assert (facts.cores, facts.memory_gb) == (4, 4)
    assert facts.firmware_version == "4.9.37-hi3559av100-spc020"
    assert facts.tee_enabled is True  # iTrustee's /dev/tc_ns_client is present
    assert facts.extra["compatible"] == ["hisilicon,hi3559av100"]


def test_without_a_device_tree_model_the_first_compatible_string_names_the_board(board):
    (board / "proc/device-tree/model").unlink()
    (board / "dev/tc_ns_client").unlink()

    facts = HiSiliconProbe(root=board).facts()

    assert facts.model == "hisilicon,hi3559av100"
    assert facts.tee_enabled is False


def test_metrics_report_memory_in_use_uptime_and_the_hottest_soc_zone():
    metrics = HiSiliconProbe(root=HISILICON_ROOT).metrics()

    assert metrics.memory_usage == 40.0  # (MemTotal - MemAvailable) / MemTotal
    assert metrics.uptime_seconds == 76342
    # cluster1_thermal (63.9) beats soc_thermal (61.5); the hotter board_ntc (68.25) is not the SoC,
    # and the disabled ddr sensor (-273 C) is ignored.
    assert metrics.temperature == 63.9
    assert metrics.ai_core_usage is None


def test_the_first_cpu_reading_is_the_average_since_boot():
    assert HiSiliconProbe(root=HISILICON_ROOT).metrics().cpu_usage == 3.7  # 285286 busy of 7658050 ticks


def test_later_cpu_readings_cover_only_the_time_since_the_previous_reading(board):
    probe = HiSiliconProbe(root=board)
    probe.metrics()
    write(board, "proc/stat", "cpu  184520 312 96544 7362620 10844 0 4210 0 0 0\n")  # +300 busy, +700 idle

    assert probe.metrics().cpu_usage == 30.0


def test_without_any_soc_zone_the_hottest_zone_of_any_kind_is_reported(board):
    for zone in ("thermal_zone0", "thermal_zone2"):
        shutil.rmtree(board / "sys/class/thermal" / zone)

    assert HiSiliconProbe(root=board).metrics().temperature == 68.2


def test_an_old_kernel_without_memavailable_counts_free_buffers_and_cache_as_available(board):
    write(board, "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 300 kB\nBuffers: 100 kB\nCached: 200 kB\n")

    assert HiSiliconProbe(root=board).metrics().memory_usage == 40.0


def test_a_thermal_zone_that_reports_whole_degrees_is_not_divided_by_a_thousand(board):
    write(board, "sys/class/thermal/thermal_zone0/temp", "71\n")

    assert LinuxHost(board).soc_temperature() == 71.0


def test_metrics_of_an_unreadable_tree_are_missing_rather_than_raised(tmp_path):
    metrics = HiSiliconProbe(root=tmp_path).metrics()

    assert (metrics.cpu_usage, metrics.memory_usage, metrics.temperature, metrics.uptime_seconds) == (
        None,
        None,
        None,
        None,
    )


def test_diagnostics_report_disk_memory_thermal_zones_and_kernel_errors(tmp_path):
    runner = ScriptedRunner({("dmesg", "--level=emerg,alert,crit,err"): "[  3.2] hi_mipi: lane 2 timeout\n"})

    report = HiSiliconProbe(root=HISILICON_ROOT, runner=runner, state_dir=tmp_path).diagnostics()

    assert report["platform"] == "hisilicon"
    assert report["disk"]["state_dir"]["total_mb"] > 0
    assert report["memory"]["used_pct"] == 40.0
    assert [(zone["type"], zone["soc"]) for zone in report["thermal"]] == [
        ("soc_thermal", True),
        ("board_ntc", False),
        ("cluster1_thermal", True),
    ]
    assert report["kernel_errors"]["last"] == ["[  3.2] hi_mipi: lane 2 timeout"]


def test_diagnostics_report_an_unreadable_kernel_log_instead_of_raising(tmp_path):
    runner = ScriptedRunner(
        {
            ("dmesg", "--level=emerg,alert,crit,err"): CommandFailed(
                "dmesg: read kernel buffer failed: Operation not permitted"
            )
        }
    )

    report = HiSiliconProbe(root=tmp_path, runner=runner).diagnostics()

    assert "Operation not permitted" in report["kernel_errors"]["error"]
    assert "error" in report["memory"]
    assert report["thermal"] == []
