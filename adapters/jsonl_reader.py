"""A JSON Lines file read once, in blocks, as chunks of numbered lines: memory stays a block and a chunk
whatever the file's size. A line longer than ``max_line`` is skipped without being buffered (reported as
``TOO_LONG`` in its place), and a file that is not text is refused before anything is read from it."""
from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

BLOCK = 1 << 20
MAX_LINE = 8 << 20  # an evidence line is a few KiB; an event log may add a few hundred


class TooLong(NamedTuple):
    """Stands for a line that was not read because it is longer than the limit."""

    limit: int


class JsonlFileError(ValueError):
    """The file as a whole cannot be JSON Lines (e.g. it is binary)."""


class LineChunk(NamedTuple):
    first: int  # line number of lines[0], from 1
    lines: list[bytes | TooLong]
    consumed: int  # bytes of the file read up to the end of this chunk


def read_chunks(stream: BinaryIO, lines_per_chunk: int, *, max_line: int = MAX_LINE,
                block: int = BLOCK) -> Iterator[LineChunk]:
    lines: list[bytes | TooLong] = []
    first, consumed = 1, 0
    for batch, consumed in _lines(stream, max_line, block):
        lines += batch
        while len(lines) >= lines_per_chunk:
            yield LineChunk(first, lines[:lines_per_chunk], consumed)
            first += lines_per_chunk
            lines = lines[lines_per_chunk:]
    if lines:
        yield LineChunk(first, lines, consumed)


def _lines(stream: BinaryIO, max_line: int, block: int) -> Iterator[tuple[list[bytes | TooLong], int]]:
    """The complete lines each block read adds, and the bytes read so far."""
    pending, skipping, consumed = b"", False, 0
    while data := stream.read(block):
        if consumed == 0 and b"\0" in data:
            raise JsonlFileError(f"binary data (a NUL byte at offset {data.index(0)}), not JSON Lines")
        consumed += len(data)
        if skipping:  # inside an overlong line: drop everything up to its end
            end = data.find(b"\n")
            if end < 0:
                continue
            data, skipping = data[end + 1:], False
        pieces = (pending + data).split(b"\n")
        pending = pieces.pop()
        if len(pending) > max_line:
            pieces.append(TooLong(max_line))
            pending, skipping = b"", True
        yield [TooLong(max_line) if len(p) > max_line else p for p in pieces], consumed
    if pending or skipping:
        yield ([] if skipping else [TooLong(max_line) if len(pending) > max_line else pending]), consumed
