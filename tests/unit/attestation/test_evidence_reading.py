"""The offline evidence file, read and decoded: every line keeps its number, nothing odd crashes."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.evidence_jsonl import EvidenceLineError, decode_line
from adapters.jsonl_reader import JsonlFileError, TooLong, read_chunks
from adapters.tpm.simulated import SimulatedTpm
from adapters.tpm.tpm2_tools_evidence import evidence_line

line_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\0", b"x"))


def read_all(data: bytes, **options) -> list:
    numbered = []
    for chunk in read_chunks(io.BytesIO(data), **options):
        assert chunk.first == len(numbered) + 1
        lines = [line if isinstance(line, TooLong) else bytes(line) for line in chunk.lines]
        # the chunk's text is its lines as they lie in the buffer, what the native decoder splits itself
        if any(isinstance(line, TooLong) for line in lines):
            assert chunk.text is None
        else:
            assert bytes(chunk.text) == b"\n".join(lines)
        numbered += lines
    return numbered


@settings(max_examples=300)
@given(
    lines=st.lists(line_bytes, max_size=40),
    block=st.integers(16, 64),
    first=st.integers(1, 64),
    most=st.integers(1, 8),
    final_newline=st.booleans(),
)
def test_every_line_comes_back_in_order_and_overlong_ones_are_marked_not_read(
    lines, block, first, most, final_newline
):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    expected = [TooLong(block) if len(line) >= block else line for line in lines]
    if not final_newline and lines and lines[-1] == b"":
        expected.pop()  # "a\n" + nothing: no last line
    assert read_all(data, block=block, first_block=first, max_lines=most) == expected


def test_a_block_of_blank_lines_comes_in_chunks_of_at_most_max_lines():
    chunks = list(read_chunks(io.BytesIO(b"\n" * 10_000), block=1 << 20, max_lines=4096))
    assert [len(chunk.lines) for chunk in chunks] == [4096, 4096, 1808]
    assert [chunk.first for chunk in chunks] == [1, 4097, 8193]


def test_a_line_longer_than_the_block_is_skipped_without_being_buffered():
    data = b"first\n" + b"x" * 10_000 + b"\nlast\n"
    assert read_all(data, block=64) == [b"first", TooLong(64), b"last"]


def test_a_binary_file_is_refused_before_any_line():
    with pytest.raises(JsonlFileError, match="binary"):
        read_all(b'{"a": 1}\n\x00\x01\x02\x03')


def test_a_later_chunk_does_not_change_the_lines_of_one_already_decoded():
    # lines are views into one reused buffer: decoding a chunk before pulling the next is the contract
    decoded = []
    for chunk in read_chunks(io.BytesIO(b"".join(b'"%d"\n' % i for i in range(500))), block=64):
        decoded += [json.loads(bytes(line)) for line in chunk.lines]
    assert decoded == [str(i) for i in range(500)]


def honest_line() -> dict:
    tpm = SimulatedTpm(seed="reading")
    nonce = bytes(range(32))
    evidence = tpm.quote(nonce, [0, 7])
    return evidence_line("dev", evidence, nonce, tpm.ak_public(), policy=dict(evidence.pcr_values))


HONEST = honest_line()


def test_an_honest_line_decodes_to_its_check_and_repeated_texts_share_one_object():
    device_id, check, _ = decode_line(json.dumps(HONEST).encode())
    _, again, _ = decode_line(json.dumps({**HONEST, "extra": "ignored"}).encode())
    assert (
        device_id == "dev" and check.nonce == bytes(range(32)) and sorted(check.evidence.pcr_values) == [0, 7]
    )
    assert again.policy is check.policy and again.evidence.pcr_values is check.evidence.pcr_values
    assert again.key is check.key


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(field=st.sampled_from([*HONEST, "hash_alg"]), value=junk, drop=st.booleans())
def test_a_line_with_any_field_wrong_or_missing_is_evidence_or_an_evidence_line_error(field, value, drop):
    line = dict(HONEST)
    if drop:
        line.pop(field, None)
    else:
        line[field] = value
    try:
        decode_line(json.dumps(line).encode())
    except EvidenceLineError as exc:
        assert str(exc)


@given(raw=st.binary(max_size=200))
def test_any_bytes_are_evidence_or_an_evidence_line_error(raw):
    try:
        decode_line(raw)
    except EvidenceLineError:
        pass
