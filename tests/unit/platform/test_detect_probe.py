"""The detector picks the Atlas, HiSilicon or generic Linux probe, and --platform overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.platform.atlas import AtlasProbe
from adapters.platform.detect import PLATFORMS, detect_platform, detect_probe
from adapters.platform.hisilicon import HiSiliconProbe
from adapters.platform.linux import GenericLinuxProbe
from tests.unit.platform.conftest import HISILICON_ROOT


def nowhere(_: str) -> None:
    return None


def tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_npu_smi_on_the_path_means_an_atlas_and_the_probe_runs_that_npu_smi(tmp_path):
    probe = detect_probe(root=tmp_path, which=lambda name: f"/opt/bin/{name}")

    assert isinstance(probe, AtlasProbe)
    assert probe.name == "atlas"
    assert probe.npu_smi_path == "/opt/bin/npu-smi"


def test_a_davinci_device_node_means_an_atlas_even_without_npu_smi(tmp_path):
    assert detect_platform(tree(tmp_path, {"dev/davinci0": ""}), which=nowhere) == "atlas"


def test_npu_smi_installed_in_sbin_off_the_path_is_found(tmp_path):
    probe = detect_probe(root=tree(tmp_path, {"usr/local/sbin/npu-smi": ""}), which=nowhere)

    assert isinstance(probe, AtlasProbe)
    assert probe.npu_smi_path == str(tmp_path / "usr/local/sbin/npu-smi")


def test_a_hisilicon_device_tree_means_a_hisilicon_board():
    assert isinstance(detect_probe(root=HISILICON_ROOT, which=nowhere), HiSiliconProbe)


def test_a_cpu_implemented_by_hisilicon_means_a_hisilicon_board(tmp_path):
    root = tree(tmp_path, {"proc/cpuinfo": "processor\t: 0\nCPU implementer\t: 0x48\nCPU part\t: 0xd01\n"})

    assert detect_platform(root, which=nowhere) == "hisilicon"


def test_any_other_machine_gets_the_generic_linux_probe(tmp_path):
    root = tree(tmp_path, {"proc/cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\n"})

    assert isinstance(detect_probe(root=root, which=nowhere), GenericLinuxProbe)


def test_an_override_wins_over_what_the_machine_looks_like(tmp_path):
    assert isinstance(detect_probe("linux", root=HISILICON_ROOT, which=nowhere), GenericLinuxProbe)
    assert isinstance(detect_probe("HiSilicon", root=tmp_path, which=nowhere), HiSiliconProbe)
    assert isinstance(detect_probe(" atlas ", root=tmp_path, which=nowhere), AtlasProbe)


@pytest.mark.parametrize("override", ["ascend", "", "x86"])
def test_an_unknown_override_is_refused(override):
    with pytest.raises(ValueError, match="unknown platform"):
        detect_probe(override)


def test_on_this_machine_the_detected_probe_reports_facts_and_metrics():
    probe = detect_probe()

    assert probe.facts().platform in PLATFORMS
    assert probe.metrics().uptime_seconds is not None
