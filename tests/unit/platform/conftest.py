"""Fixture text of real npu-smi layouts, the HiSilicon fixture tree, and a scripted command runner."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.platform.commands import CommandFailed

DATA = Path(__file__).resolve().parents[2] / "data"
NPU_SMI = DATA / "npu_smi"
HISILICON_ROOT = DATA / "hisilicon_root"


def npu_smi_text(name: str) -> str:
    return (NPU_SMI / name).read_text()


class ScriptedRunner:
    """Answers command lines from a script of outputs (or exceptions) and records every call."""

    def __init__(self, script: dict[tuple[str, ...], str | Exception]) -> None:
        self.script = script
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str]) -> str:
        self.calls.append(tuple(argv))
        answer = self.script.get(tuple(argv), CommandFailed(f"{argv[0]}: not scripted: {' '.join(argv)}"))
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def hisilicon_root() -> Path:
    return HISILICON_ROOT
