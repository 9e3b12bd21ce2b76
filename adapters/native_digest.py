"""Thin wrapper over the native SHA-256 PCR digest: validates before the call, checks the return code."""

from __future__ import annotations

from collections.abc import Sequence

from native._edgefleet_native import ffi, lib

SHA256_SIZE = 32


def pcr_digest_sha256(values: Sequence[bytes]) -> bytes:
    if not all(isinstance(v, bytes) and len(v) == SHA256_SIZE for v in values):
        raise ValueError("every PCR value must be 32 bytes")
    joined = b"".join(values)
    out = ffi.new("uint8_t[32]")
    rc = lib.ef_pcr_digest_sha256(joined, len(values), SHA256_SIZE, out)
    if rc != 0:
        raise RuntimeError(f"native pcr digest failed with code {rc}")
    return bytes(out)
