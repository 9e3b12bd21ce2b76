"""Attestation keys for the native verifier: each distinct SPKI is parsed by OpenSSL once, then reused."""

from __future__ import annotations

import threading

from native._edgefleet_native import ffi, lib

from domain.attestation.evidence import KeyType
from domain.bounded import make_room

NATIVE_KEY_TYPES = {KeyType.RSA: lib.EF_KEY_RSA, KeyType.ECC: lib.EF_KEY_ECC}


class NativeKeyCache:
    """SPKI bytes -> immutable ``ef_key *`` (freed by cffi's GC when the last reference goes).

    Shared by every batch of one verifier and by its threads: a handle is read-only in C. Bounded, so a
    long-running fleet job does not keep every key it ever saw; a batch holds its own references, so
    evicting a key never frees it under a running call.
    """

    def __init__(self, capacity: int = 65_536) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._handles: dict[bytes, object] = {}
        self._lock = threading.Lock()

    def handle(self, spki: bytes, key_type: KeyType | str) -> object:
        """The loaded key, or ``ffi.NULL`` when the SPKI does not parse or is not a ``key_type`` key."""
        handle = self._handles.get(spki)
        if handle is None:
            handle = self._load(spki)
        # The reference verifier treats anything but RSA as a claim to be an ECC key; so do we.
        wanted = lib.EF_KEY_RSA if key_type == KeyType.RSA else lib.EF_KEY_ECC
        return handle if handle != ffi.NULL and lib.ef_key_type(handle) == wanted else ffi.NULL

    def __len__(self) -> int:
        return len(self._handles)

    def _load(self, spki: bytes) -> object:
        raw = lib.ef_key_load(spki, len(spki))
        handle = ffi.gc(raw, lib.ef_key_free) if raw != ffi.NULL else ffi.NULL
        with self._lock:
            make_room(self._handles, self._capacity)
            return self._handles.setdefault(spki, handle)
