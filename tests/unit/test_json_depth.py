"""The nesting-depth scan that guards every JSON body agrees with the structure it scans."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.http.json_depth import MAX_JSON_DEPTH, nesting_depth, too_deep

# Strings full of brackets, quotes and backslashes: the scan must not count what is inside them.
tricky_text = st.text(alphabet='[]{}"\\ab ,:\n\u00e9', max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=40,
)


def depth_of(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@given(json_values, st.booleans())
def test_the_scan_finds_the_depth_of_any_json_document(value, ascii_only):
    assert nesting_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == depth_of(value)


def test_a_document_nested_past_the_limit_is_too_deep_whatever_its_shape():
    assert not too_deep(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    assert too_deep(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode())
    assert too_deep(b'{"a":' * 100_000)  # unterminated: still counted, never handed to a decoder
    assert too_deep(b'[{"x": [' * 20)


def test_escaped_quotes_do_not_end_a_string():
    assert nesting_depth(b'{"k": "\\"[[[[\\\\", "v": [1]}') == 2
