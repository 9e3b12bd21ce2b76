"""A JSON Lines file read once, block by block into one reused buffer, as chunks of numbered lines.

Lines are memoryviews into the buffer (no copy: at a few KiB a line, copying and faulting in fresh
memory cost more than decoding), valid only until the next chunk is asked for: decode a chunk before
pulling the next. Memory is one block whatever the file's size. A line longer than the block is
skipped without being buffered (``TooLong`` stands in its place), and a file with a NUL byte in its
first block is refused as binary before any line is returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol

BLOCK = 4 << 20  # also the longest line read: an evidence line is a few KiB, with an event log a few hundred
MAX_LINES = 4096


class TooLong(NamedTuple):
    """Stands for a line that was not read because it is longer than the limit."""

    limit: int


class JsonlFileError(ValueError):
    """The file as a whole cannot be JSON Lines (e.g. it is binary)."""


class Readable(Protocol):
    def readinto(self, buffer: memoryview, /) -> int | None: ...


class LineChunk(NamedTuple):
    first: int  # line number of lines[0], from 1
    lines: list[memoryview | TooLong]
    consumed: int  # bytes of the file read up to the end of this chunk
    text: memoryview | None = None  # the lines as they lie in the buffer, joined by b"\n" (None: a TooLong)


def read_chunks(
    stream: Readable, *, block: int = BLOCK, first_block: int | None = None, max_lines: int = MAX_LINES
) -> Iterator[LineChunk]:
    """A chunk per block read, or per ``max_lines`` of it (a block of blank lines is millions of them).
    With ``first_block``, reads start that small and double up to ``block``: a consumer that overlaps
    its work on one chunk with the next gets going sooner."""
    buffer = bytearray(block)
    view, find = memoryview(buffer), buffer.find
    size, kept, number, consumed, skipping = min(first_block or block, block), 0, 1, 0, False
    while n := stream.readinto(view[kept:size]):
        if consumed == 0 and (nul := find(b"\0", 0, n)) >= 0:
            raise JsonlFileError(f"binary data (a NUL byte at offset {nul}), not JSON Lines")
        consumed, end, pos = consumed + n, kept + n, 0
        lines: list[memoryview | TooLong] = []
        if skipping:  # inside an overlong line: drop everything up to its end
            pos = find(b"\n", 0, end) + 1
            skipping = pos == 0
        start = pos
        while not skipping and (newline := find(b"\n", pos, end)) >= 0:
            lines.append(view[pos:newline])
            pos = newline + 1
            if len(lines) == max_lines:  # the buffer stays as it is until this block is done
                yield LineChunk(number, lines, consumed - (end - pos), view[start : pos - 1])
                number, lines, start = number + len(lines), [], pos  # a fresh list: the chunk keeps its own
        text = view[start : pos - 1] if lines else None
        if not skipping and pos == 0 and end == block:
            lines.append(TooLong(block))  # alone in its chunk: no newline in a whole block
            pos, skipping, text = end, True, None
        if lines:
            yield LineChunk(number, lines, consumed, text)
            number += len(lines)
        kept = 0 if skipping else end - pos
        view[:kept] = buffer[
            end - kept : end
        ]  # the start of a line, moved once the chunk's lines are done with
        size = min(size * 2, block)
    if kept and not skipping:
        yield LineChunk(number, [view[:kept]], consumed, view[:kept])
