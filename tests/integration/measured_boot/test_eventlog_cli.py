"""``edgefleet eventlog replay|show`` as a real process: PCRs per bank, readable events, one-line refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.tpm.uefi_boot_log import BootConfig, boot_log
from domain.measured_boot.replay import replay_bytes

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "eventlogs"


def eventlog(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EDGEFLEET, "eventlog", *map(str, args)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("replayer", ["native", "python"])
def test_replay_prints_every_bank_as_json(replayer):
    done = eventlog("replay", FIXTURES / "event-uefiaction.bin", "--json", "--replayer", replayer)
    assert done.returncode == 0, done.stderr
    banks = json.loads(done.stdout)
    assert set(banks) == {"sha1", "sha256", "sha384", "sha512"}
    assert banks["sha256"] == {"4": "3f263b96ccbc33bb53d808771f9ab1e02d4dec8854f9530f749cde853a723273"}


def test_replay_without_json_lists_pcrs_per_bank():
    done = eventlog("replay", FIXTURES / "event-uefi-sha1-log.bin")
    assert done.returncode == 0
    assert done.stdout.startswith("sha1:\n   0: 3dcaea25dc86554d94b94aa5bc8f735a49212af8\n")


def test_an_unreadable_log_exits_1_with_one_line_naming_the_fault_and_offset(tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes((FIXTURES / "event-arch-linux.bin").read_bytes()[:100])
    for command in ("replay", "show"):
        done = eventlog(command, cut)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.strip().splitlines() == [
            f"edgefleet eventlog: {cut}: malformed_event_log: truncated at byte 83"
        ]


@pytest.mark.parametrize("path", ["/nonexistent/log.bin", "/"])
def test_a_missing_or_unreadable_file_exits_1_without_a_traceback(path):
    done = eventlog("replay", path)
    assert (
        done.returncode == 1 and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    )


def test_show_lists_events_and_decodes_only_trusted_data(tmp_path):
    path = tmp_path / "boot.bin"
    path.write_bytes(boot_log(BootConfig("atlas-500", "1.2.0")))
    done = eventlog("show", path, "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    secure_boot = next(r for r in rows if r.get("data", {}).get("variable") == "SecureBoot")
    assert (secure_boot["pcr"], secure_boot["type"], secure_boot["data"]["enabled"]) == (
        7,
        "EV_EFI_VARIABLE_DRIVER_CONFIG",
        True,
    )
    bootloader = [r for r in rows if r["type"] == "EV_EFI_BOOT_SERVICES_APPLICATION"][0]
    assert bootloader["trusted"] is False and "data" not in bootloader  # the image is measured, not the data
    assert [r["number"] for r in rows] == list(range(len(rows)))
    human = eventlog("show", path)
    assert "#4    PCR 7  EV_EFI_VARIABLE_DRIVER_CONFIG" in human.stdout


def test_replay_agrees_with_the_library(tmp_path):
    path = tmp_path / "boot.bin"
    path.write_bytes(boot_log(BootConfig("hi3559", "2.0")))
    assert json.loads(eventlog("replay", path, "--json").stdout) == replay_bytes(path.read_bytes()).as_dict()
