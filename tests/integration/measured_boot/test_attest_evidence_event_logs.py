"""`edgefleet attest --evidence` with boot event logs and event policies on its lines: judged offline as
the server judges them, failures named down to the event."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from adapters.tpm.simulated import SimulatedTpm
from adapters.tpm.tpm2_tools_evidence import evidence_line
from adapters.tpm.uefi_boot_log import BootConfig, boot_log
from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.policy import learn

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
GOOD = BootConfig("Atlas 500", "2.1.0")
NONCE = bytes(range(32))
PCRS = list(range(8))  # every PCR a learned policy's rules read (separators: 0-7)


def booted(device_id: str, config: BootConfig) -> SimulatedTpm:
    tpm = SimulatedTpm(seed=device_id)
    tpm.measure_log(boot_log(config))
    return tpm


def line(
    device_id: str, config: BootConfig, *, policy=None, log: bytes | None = None, drop_log=False
) -> dict:
    tpm = booted(device_id, config)
    out = evidence_line(device_id, tpm.quote(NONCE, PCRS), NONCE, tpm.ak_public())
    if log is not None:
        out["event_log"] = base64.b64encode(log).decode()
    if drop_log:
        out.pop("event_log")
    if policy is not None:
        out["event_policy"] = policy
    return out


def test_event_logs_and_policies_on_evidence_lines_are_judged_offline(tmp_path):
    policy = learn(PolicyScope.for_device("x"), parse_log(boot_log(GOOD)), HashAlg.SHA256).as_dict()
    good_log = boot_log(GOOD)
    lines = [
        line("good", GOOD, policy=policy),
        line("swapped", BootConfig("Atlas 500", "2.1.0", bootloader="evil-grub"), policy=policy),
        line("lying", BootConfig("Atlas 500", "2.1.0", kernel="vmlinuz-evil"), log=good_log),
        line("cut", GOOD, log=good_log[:100]),
        line("no-log", GOOD, policy=policy, drop_log=True),
        line("log-only", GOOD),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in lines))
    done = subprocess.run(
        [EDGEFLEET, "attest", "--evidence", str(source), "--output", str(tmp_path / "out.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    verdicts = {v["device_id"]: v for v in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert done.returncode == 1, done.stderr
    assert {k: v["reasons"] for k, v in verdicts.items()} == {
        "good": [],
        "swapped": ["event_policy_mismatch"],
        "lying": ["event_log_mismatch"],
        "cut": ["malformed_event_log"],
        "no-log": ["event_policy_mismatch"],
        "log-only": [],
    }
    [failed] = verdicts["swapped"]["failed_events"]
    assert failed["rule"] == "boot_applications" and failed["pcr"] == 4
    assert verdicts["lying"]["mismatched_pcrs"] == [4]
    assert "byte" in verdicts["cut"]["event_log_error"]
    assert verdicts["no-log"]["failed_events"][0]["rule"] == "event_log"
