"""``edgefleet attest`` as a real process: offline evidence (incl. real tpm2_quote output), simulated fleets."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.tpm.simulated import SimulatedTpm
from adapters.tpm.tpm2_tools_evidence import evidence_from_tpm2_quote_files, evidence_line
from domain.attestation.evidence import HashAlg

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
VECTORS = Path(__file__).resolve().parents[1] / "data" / "tpm2_quote"


def simulated_line(device_id: str, ak: str = "ecc", tamper: bool = False) -> dict:
    tpm = SimulatedTpm(seed=device_id, ak=ak)
    nonce = bytes(range(32))
    evidence = tpm.quote(nonce, [0, 1, 7])
    line = evidence_line(device_id, evidence, nonce, tpm.ak_public(), policy=dict(evidence.pcr_values))
    if tamper:
        line["pcrs"]["7"] = "11" * 32
        line["policy"]["7"] = "11" * 32
    return line


def tpm2_tools_line(kind: str) -> dict:
    folder = VECTORS / kind
    evidence = evidence_from_tpm2_quote_files(
        folder / "quote.msg", folder / "quote.sig", folder / "quote.pcrs", HashAlg.SHA256
    )
    nonce = bytes.fromhex((folder / "nonce.hex").read_text().strip())
    return evidence_line(f"swtpm-{kind}", evidence, nonce, (folder / "ak.pub").read_bytes())


def attest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EDGEFLEET, "attest", *args], capture_output=True, text=True, timeout=120)


def write(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("verifier", ["python", "auto"])
def test_offline_evidence_reports_every_line_in_order(tmp_path, verifier):
    lines = [
        simulated_line("a"),
        "{not json",
        simulated_line("b", "rsassa", tamper=True),
        tpm2_tools_line("ecc"),
        tpm2_tools_line("rsa"),
        {"device_id": "c"},
    ]
    done = attest(
        "--evidence",
        str(write(tmp_path / "in.jsonl", lines)),
        "--output",
        str(tmp_path / "out.jsonl"),
        "--verifier",
        verifier,
    )
    verdicts = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert done.returncode == 1, done.stderr
    assert [(v["status"], v["reasons"]) for v in verdicts] == [
        ("success", []),
        ("failed", ["malformed"]),
        ("failed", ["pcr_digest_mismatch"]),
        ("success", []),
        ("success", []),
        ("failed", ["malformed"]),
    ]
    assert "line 2: malformed" in done.stderr and "line 6: malformed" in done.stderr
    assert "verified" in done.stderr


def test_a_pem_attestation_key_is_accepted_and_a_clean_file_exits_zero(tmp_path):
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from adapters.verifiers.keys import public_key
    from domain.attestation.tpm_public import parse_public

    line = simulated_line("pem-device")
    ak = base64.b64decode(line["ak_public"])
    line["ak_public"] = (
        public_key(parse_public(ak)).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )
    assert (
        attest("--evidence", str(write(tmp_path / "in.jsonl", [line, simulated_line("x")]))).returncode == 0
    )


def test_a_wrong_nonce_fails_offline_too(tmp_path):
    line = simulated_line("n")
    line["nonce"] = "ff" * 32
    write(tmp_path / "in.jsonl", [line])
    attest("--evidence", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "o.jsonl"))
    assert json.loads((tmp_path / "o.jsonl").read_text())["reasons"] == ["nonce_mismatch"]


def test_a_simulated_fleet_attests_end_to_end():
    done = attest("--simulated", "50")
    assert done.returncode == 0 and "verified" in done.stderr


@pytest.mark.parametrize("args", [[], ["--output", "x.jsonl", "--all"], ["--all", "--simulated", "3"]])
def test_misuse_exits_2(args):
    assert attest(*args).returncode == 2


def test_malformed_lines_keep_their_numbers_and_places_across_many_chunks(tmp_path):
    good, other = simulated_line("many-a"), simulated_line("many-b", "rsassa")
    bad = {7, 2500, 2501, 5999}  # ~2 KiB a line: 6,000 lines span several 4 MiB blocks, lines cut across them
    lines = ["" if n == 2500 else "{" if n in bad else (good if n % 2 else other) for n in range(1, 6001)]
    done = attest(
        "--evidence", str(write(tmp_path / "in.jsonl", lines)), "--output", str(tmp_path / "out.jsonl")
    )
    verdicts = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert done.returncode == 1 and len(verdicts) == 6000
    assert [n for n, v in enumerate(verdicts, start=1) if v["reasons"] == ["malformed"]] == sorted(bad)
    assert all(v["line"] == n for n, v in enumerate(verdicts, start=1) if n in bad)
    assert {v["device_id"] for n, v in enumerate(verdicts, start=1) if n not in bad} == {"many-a", "many-b"}
    assert all(v["status"] == "success" for n, v in enumerate(verdicts, start=1) if n not in bad)
    assert "line 2500: malformed" in done.stderr and "line 5999: malformed" in done.stderr


def test_a_line_longer_than_4_mib_is_malformed_without_being_read_and_the_rest_verify(tmp_path):
    lines = [simulated_line("before"), '{"device_id": "' + "x" * (5 << 20) + '"}', simulated_line("after")]
    done = attest(
        "--evidence", str(write(tmp_path / "in.jsonl", lines)), "--output", str(tmp_path / "out.jsonl")
    )
    verdicts = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(v["device_id"], v["reasons"]) for v in verdicts] == [
        ("before", []),
        (None, ["malformed"]),
        ("after", []),
    ]
    assert "line 2: malformed: longer than 4,194,304 bytes" in done.stderr


def test_a_binary_file_is_refused_with_a_message_and_exit_2(tmp_path):
    (tmp_path / "in.bin").write_bytes(bytes(range(256)) * 64)
    done = attest("--evidence", str(tmp_path / "in.bin"), "--output", str(tmp_path / "out.jsonl"))
    assert done.returncode == 2 and "binary data" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_missing_file_is_a_message_and_exit_2(tmp_path):
    done = attest("--evidence", str(tmp_path / "absent.jsonl"))
    assert done.returncode == 2 and "absent.jsonl" in done.stderr and "Traceback" not in done.stderr
