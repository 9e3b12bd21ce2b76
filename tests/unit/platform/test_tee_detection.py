"""TEE support is detected from the device nodes a TEE driver creates, on every platform probe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.platform.atlas import AtlasProbe
from adapters.platform.hisilicon import HiSiliconProbe
from adapters.platform.linux import GenericLinuxProbe
from tests.unit.platform.conftest import HISILICON_ROOT, ScriptedRunner, npu_smi_text

NPU_SMI = "/usr/local/sbin/npu-smi"


@pytest.fixture
def root(tmp_path) -> Path:
    """A writable copy of the fixture tree (it has iTrustee's /dev/tc_ns_client)."""
    return Path(shutil.copytree(HISILICON_ROOT, tmp_path / "root"))


def atlas(root: Path) -> AtlasProbe:
    runner = ScriptedRunner({(NPU_SMI, "info"): npu_smi_text("atlas500_310_info.txt")})
    return AtlasProbe(runner=runner, root=root, npu_smi=NPU_SMI)


def test_an_atlas_with_itrustee_reports_it():
    facts = atlas(HISILICON_ROOT).facts()
    assert (facts.tee_enabled, facts.tee_type) == (True, "iTrustee")


def test_an_atlas_without_a_tee_device_reports_no_tee(root):
    (root / "dev/tc_ns_client").unlink()
    facts = atlas(root).facts()
    assert (facts.tee_enabled, facts.tee_type) == (False, None)


def test_an_op_tee_board_reports_op_tee(root):
    (root / "dev/tc_ns_client").unlink()
    (root / "dev/tee0").write_text("")
    facts = HiSiliconProbe(root=root).facts()
    assert (facts.tee_enabled, facts.tee_type) == (True, "OP-TEE")


def test_a_generic_linux_host_without_tee_nodes_has_no_tee(tmp_path):
    facts = GenericLinuxProbe(root=tmp_path).facts()
    assert (facts.tee_enabled, facts.tee_type) == (False, None)
