"""The C decoder of evidence lines (native_evidence) gives, line by line, exactly what the msgspec decoder
gives: the same verdict bytes, line numbers and tally for honest, edited and mangled lines alike."""

from __future__ import annotations

import base64
import io
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native._edgefleet_native import ffi, lib
from rich.console import Console

from adapters.evidence_jsonl import EvidenceLine
from adapters.jsonl_reader import LineChunk
from adapters.tpm.simulated import AkAlgorithm
from adapters.tpm.tpm2_tools_evidence import evidence_line
from adapters.verifiers.native_batch import NativeQuoteVerifier
from adapters.verifiers.native_evidence import NativeEvidenceStream, _KeySlots, _scan, scanner_fields
from adapters.verifiers.native_keys import NativeKeyCache
from domain.attestation.evidence import HashAlg
from entrypoints.attest.offline import verify_evidence_file
from entrypoints.attest.root import event_log_replayer

DIFFERENTIAL = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def base_lines(devices) -> list[dict]:
    """Honest lines of every AK algorithm and two banks, with and without a policy."""
    lines = []
    for n, algorithm in enumerate(AkAlgorithm):
        tpm = devices.tpms[algorithm]
        for bank in (HashAlg.SHA256, HashAlg.SHA1):
            nonce = bytes([n, bank]) * 8
            evidence = tpm.quote(nonce, [0, 1, 7, 10], bank)
            lines.append(evidence_line(f"dev-{algorithm}-{bank.name}", evidence, nonce, tpm.ak_public()))
            lines.append(
                evidence_line(f"pol-{n}", evidence, nonce, tpm.ak_public(), policy=dict(evidence.pcr_values))
            )
    return lines


@pytest.fixture(scope="module")
def verifier():
    native = NativeQuoteVerifier(threads=2)
    yield native
    native.close()


def outputs(tmp_path, lines: list[bytes], verifier) -> tuple[bytes, bytes]:
    """(verdicts, tally) of the msgspec decoder and of the C one, over the same file."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    got = []
    for native in (None, NativeEvidenceStream(verifier)):
        out = tmp_path / "out.jsonl"
        console = Console(file=io.StringIO(), width=200)
        tally, _ = verify_evidence_file(path, out, verifier, console, event_log_replayer(), native)
        got.append((out.read_bytes(), tally.statuses, tally.reasons))
    return got[0], got[1]


# -- edits of one line's JSON object ----------------------------------------------------------------
FIELDS = ["device_id", "quote", "signature", "pcrs", "hash_alg", "nonce", "ak_public", "policy"]
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["0", "7", "01", "32", "-1", " 1", "x"]), st.text("0af", max_size=66)),
    st.sampled_from(["sha1", "sha256", "sha384", "SHA256", "md5", "", "AAAA", "QR==", "Q===", "00", "0"]),
)


TAKEN_EDITS = ["flip", "valid_pcr", "bank", "simple_unknown", "hex_case", "null"]  # mostly still C's
ANY_EDITS = ["drop", "replace", "unknown", "pcr_value", "pcr_key", "b64", "id", "log", *TAKEN_EDITS]


def _edit(draw, line: dict, kinds: list[str]) -> dict:
    line = json.loads(json.dumps(line))
    kind = draw(st.sampled_from(kinds))
    field = draw(st.sampled_from(FIELDS))
    if kind == "drop":
        line.pop(field, None)
    elif kind == "replace":
        line[field] = draw(ODD_VALUES)
    elif kind == "unknown":
        line[draw(st.sampled_from(["ak", "x", "Quote", "device", "é"]))] = draw(ODD_VALUES)
    elif kind in ("pcr_value", "pcr_key"):
        target = line.setdefault(draw(st.sampled_from(["pcrs", "policy"])), {})
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            if kind == "pcr_value":
                value = target[key]
                target[key] = draw(
                    st.sampled_from([value[:-2], value + "00", value[:-1] + "g", "", "11" * 32])
                )
            else:
                target[draw(st.sampled_from(["00", "7", "31", "32", "255", "1e1", "-0"]))] = target.pop(key)
    elif kind == "hex_case":
        line["nonce"] = line["nonce"].upper()
    elif kind == "b64":
        value = line["quote"] if isinstance(line.get("quote"), str) else ""
        line["quote"] = draw(st.sampled_from([value.rstrip("="), value + "=", value[1:], "=" + value[1:]]))
    elif kind == "id":
        line["device_id"] = draw(st.sampled_from(["", 'a"b', "a\\b", "é", "\x7f", "\t", 7, "/x<y>&"]))
    elif kind == "flip":  # still canonical base64: the C decoder takes it, the verifier judges it
        target = draw(st.sampled_from(["quote", "signature"]))
        data = bytearray(base64.b64decode(line[target]))
        data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        line[target] = base64.b64encode(bytes(data)).decode()
    elif kind == "valid_pcr":
        target = line.setdefault(draw(st.sampled_from(["pcrs", "policy", "nonce"])), {})
        size = len(next(iter(line["pcrs"].values()), "")) // 2 or 32
        value = draw(st.binary(min_size=size, max_size=size)).hex()
        if isinstance(target, str):
            line["nonce"] = value
        else:
            target[str(draw(st.sampled_from([0, 1, 7, 10, 23, 31])))] = value
    elif kind == "bank":
        line["hash_alg"] = draw(st.sampled_from(["sha1", "sha256", "sha384", "sha512"]))
    elif kind == "simple_unknown":
        line[draw(st.sampled_from(["ak", "z", "note"]))] = draw(
            st.one_of(st.none(), st.booleans(), st.integers(-(10**19), 10**19), st.text("ab c/", max_size=5))
        )
    elif kind == "null":
        line[draw(st.sampled_from(["policy", "event_log", "event_policy"]))] = None
    else:
        line["event_log"] = base64.b64encode(b"\x00" * 8).decode()
    return line


def _serialize(draw, line: dict, styles: list[str]) -> bytes:
    style = draw(st.sampled_from(styles))
    if style == "compact":
        return json.dumps(line, separators=(",", ":")).encode()
    if style == "spaced":
        return json.dumps(line).encode()
    if style == "ascii":
        return json.dumps(line, ensure_ascii=False).encode()
    if style == "indent-ish":
        return json.dumps(line, separators=(" ,\t", " :\r ")).encode()
    text = json.dumps(line)  # escapes the C decoder leaves to msgspec, same meaning
    return text.replace("/", "\\/").replace('"nonce"', '"\\u006eonce"').encode()


def _mangle(draw, raw: bytes) -> bytes:
    kind = draw(st.sampled_from(["none"] * 5 + ["insert", "delete", "replace", "duplicate", "truncate"]))
    if kind == "none" or not raw:
        return raw
    at = draw(st.integers(0, len(raw) - 1))
    byte = bytes([draw(st.sampled_from(b'{}[]",:\\ 0aA=\x01\xff\xc3\r'))])
    if kind == "insert":
        return raw[:at] + byte + raw[at:]
    if kind == "delete":
        return raw[:at] + raw[at + 1 :]
    if kind == "replace":
        return raw[:at] + byte + raw[at + 1 :]
    if kind == "duplicate":
        return raw[:-1] + b', "device_id": "dup"}'
    return raw[:at]


@st.composite
def evidence_lines(draw, base: list[dict]) -> bytes:
    """Half of them lines the C decoder takes (edited in ways it must judge right), half anything."""
    line = draw(st.sampled_from(base))
    if draw(st.booleans()):
        edited = _edit(draw, line, TAKEN_EDITS) if draw(st.booleans()) else line
        return _serialize(draw, edited, ["compact", "spaced", "indent-ish"])
    line = _edit(draw, line, ANY_EDITS) if draw(st.booleans()) else line
    raw = _serialize(draw, line, ["compact", "spaced", "ascii", "indent-ish", "pretty-escaped"])
    return _mangle(draw, raw).replace(b"\n", b" ")


def test_the_c_decoder_knows_every_field_of_the_msgspec_one():
    assert scanner_fields() == set(EvidenceLine.__struct_fields__)  # else it would skip a new field's value


def test_honest_lines_are_all_taken_by_the_c_decoder(base_lines):
    text = b"\n".join(json.dumps(line).encode() for line in base_lines)
    slots = _KeySlots()
    block = _scan(LineChunk(1, text.split(b"\n"), len(text), memoryview(text)), slots, NativeKeyCache())
    assert block.lines == len(base_lines) and block.fallback == []
    assert slots.count == len(AkAlgorithm)  # one slot per distinct key text


def test_every_line_gets_the_msgspec_decoders_verdict(tmp_path_factory, base_lines, verifier):
    @DIFFERENTIAL
    @given(st.lists(evidence_lines(base_lines), min_size=1, max_size=12))
    def run(lines):
        reference, native = outputs(tmp_path_factory.mktemp("scan"), lines, verifier)
        assert native == reference

    run()


def test_a_mixed_file_over_many_chunks_keeps_every_verdict_and_line_number(tmp_path, base_lines, verifier):
    rng = random.Random(14)
    lines = []
    for n in range(6000):  # several 4 MiB blocks: fast and fallback lines in every chunk
        line = dict(rng.choice(base_lines))
        if n % 97 == 0:
            line["pcrs"] = {"0": "zz"}
        elif n % 89 == 0:
            line["event_log"] = base64.b64encode(b"\x03" * 20).decode()
        elif n % 83 == 0:
            line["ak_public"] = "bm90IGEga2V5"  # base64 of "not a key": malformed, through the slow path
        lines.append(json.dumps(line).encode() if n % 101 else b"{")
    reference, native = outputs(tmp_path, lines, verifier)
    assert native == reference
    verdicts = reference[0].splitlines()
    assert len(verdicts) == 6000 and json.loads(verdicts[0])["line"] == 1


def test_any_bytes_scan_without_harm():
    slots = _KeySlots()
    rng = random.Random(7)
    for size in (0, 1, 2, 5, 100, 4096):
        data = bytes(rng.randrange(256) for _ in range(size))
        scan = ffi.gc(lib.ef_scan_block(slots.scanner, data, len(data)), lib.ef_scan_free)
        assert scan.lines == data.count(b"\n") + 1 and scan.fallback_count == scan.lines
