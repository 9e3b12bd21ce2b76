"""The generic Linux probe works on any machine through psutil, including this one."""

from __future__ import annotations

from collections import namedtuple

from adapters.platform.commands import CommandFailed
from adapters.platform.linux import GenericLinuxProbe, cpu_temperature
from tests.unit.platform.conftest import ScriptedRunner

Reading = namedtuple("Reading", "label current high critical")


def test_facts_of_this_machine_describe_a_linux_host():
    facts = GenericLinuxProbe().facts()

    assert facts.platform == "linux"
    assert facts.cores >= 1
    assert facts.memory_gb >= 1
    assert facts.model
    assert facts.extra["kernel"]


def test_metrics_of_this_machine_are_percentages_and_a_positive_uptime():
    probe = GenericLinuxProbe()

    metrics = probe.metrics()

    assert 0 <= metrics.cpu_usage <= 100
    assert 0 < metrics.memory_usage <= 100
    assert metrics.uptime_seconds > 0
    assert metrics.npu_health is None


def test_the_temperature_prefers_cpu_sensors_over_hotter_disks():
    readings = {
        "nvme": [Reading("Composite", 71.0, 80.0, 85.0)],
        "coretemp": [Reading("Package id 0", 54.0, 90.0, 100.0), Reading("Core 0", 52.0, 90.0, 100.0)],
    }

    assert cpu_temperature(readings) == 54.0


def test_without_cpu_sensors_the_hottest_sensor_is_reported_and_none_without_sensors():
    assert cpu_temperature({"nvme": [Reading("Composite", 41.5, None, None)]}) == 41.5
    assert cpu_temperature({}) is None


def test_diagnostics_cover_the_root_and_state_disks_memory_thermal_and_kernel_errors(tmp_path):
    dmesg = ("dmesg", "--level=emerg,alert,crit,err")
    runner = ScriptedRunner({dmesg: CommandFailed("dmesg: not permitted")})

    report = GenericLinuxProbe(runner=runner, state_dir=tmp_path).diagnostics()

    assert report["platform"] == "linux"
    assert report["disk"]["/"]["total_mb"] > 0
    assert report["disk"]["state_dir"]["path"] == str(tmp_path)
    assert report["memory"]["total_mb"] > 0
    assert isinstance(report["thermal"], list)
    assert "not permitted" in report["kernel_errors"]["error"]
