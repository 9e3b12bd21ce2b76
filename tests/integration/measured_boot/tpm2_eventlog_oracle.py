"""``tpm2_eventlog LOG`` (tpm2-tools) as an oracle: the PCR values its replay prints per bank."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

_BANK = re.compile(r"^  (sha1|sha256|sha384|sha512):\s*$")
_PCR = re.compile(r"^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)\s*$")


def require_tool() -> str:
    """The tool's path; make test (EDGEFLEET_REQUIRE_SWTPM=1) fails instead of skipping without it."""
    tool = shutil.which("tpm2_eventlog")
    if tool is None:
        if os.environ.get("EDGEFLEET_REQUIRE_SWTPM") == "1":
            pytest.fail("tpm2_eventlog is not installed (Debian package tpm2-tools)")
        pytest.skip("tpm2_eventlog is not installed")
    return tool


def oracle_pcrs(tool: str, log: Path) -> dict[str, dict[str, str]] | None:
    """{"sha256": {"0": hex}} from the ``pcrs:`` section of its output; None when it fails or crashes."""
    done = subprocess.run([tool, str(log)], capture_output=True, timeout=60)
    stdout = done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0 or "\npcrs:\n" not in stdout:
        return None
    banks: dict[str, dict[str, str]] = {}
    bank = None
    for line in stdout.split("\npcrs:\n", 1)[1].splitlines():
        if match := _BANK.match(line):
            bank = banks.setdefault(match.group(1), {})
        elif (match := _PCR.match(line)) and bank is not None:
            bank[match.group(1)] = match.group(2).lower()
    return banks
