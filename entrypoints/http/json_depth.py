"""Nesting depth of JSON bodies, bounded before any decoder sees them.

msgspec and the standard json module recurse once per level and raise RecursionError (not a decode
error) around 1,000 levels, or fewer when the stack is already deep; a body just under that limit
would also break whatever recurses over it later (audit redaction, the JSON columns). No body this
API takes nests more than a few levels, so every JSON body is refused above MAX_JSON_DEPTH.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate

from litestar import Request
from litestar.exceptions import ValidationException

MAX_JSON_DEPTH = 32

_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # inside strings only, in valid JSON
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Openers become +1 and closers -1 (0xff, read as a signed byte).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects outside strings; exact for valid JSON, and never
    below the decoder's own count for invalid JSON (an unterminated string's brackets count too)."""
    if b"\\" in body:
        body = _ESCAPE.sub(b"", body)  # an escaped quote no longer ends its string
    outside_strings = b"".join(body.split(b'"')[::2])
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(array("b", brackets.translate(_STEPS))))


def too_deep(body: bytes) -> bool:
    return nesting_depth(body) > MAX_JSON_DEPTH


class DepthCheckedRequest(Request):
    """The request class of the app: every JSON body is decoded through here, once."""

    async def json(self):
        if too_deep(await self.body()):
            raise ValidationException(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return await super().json()
