"""Bounds-checked big-endian reader and writer for TPM 2.0 structures (TPM 2.0 Part 2 marshalling)."""

from __future__ import annotations


class WireError(ValueError):
    """Bytes that are not the expected TPM structure: short, overlong, or holding an invalid value."""


class Reader:
    """Reads from one buffer; every read is checked against the end, never past it."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise WireError("expected bytes")
        self._data = bytes(data)
        self._pos = 0

    def take(self, n: int) -> bytes:
        end = self._pos + n
        if end > len(self._data):
            raise WireError(f"truncated: need {n} bytes at offset {self._pos}")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def u64(self) -> int:
        return int.from_bytes(self.take(8), "big")

    def tpm2b(self, limit: int | None = None) -> bytes:
        """A TPM2B: u16 size then that many bytes; ``limit`` is the structure's maximum size."""
        size = self.u16()
        if limit is not None and size > limit:
            raise WireError(f"TPM2B of {size} bytes exceeds its maximum of {limit}")
        return self.take(size)

    def rest(self) -> bytes:
        return self.take(len(self._data) - self._pos)

    @property
    def offset(self) -> int:
        return self._pos

    def end(self) -> None:
        """Exact-length parsing: bytes left over mean the structure was not what it claimed."""
        if self._pos != len(self._data):
            raise WireError(f"{len(self._data) - self._pos} trailing bytes")


class Writer:
    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def raw(self, data: bytes) -> Writer:
        self._parts.append(bytes(data))
        return self

    def u8(self, value: int) -> Writer:
        return self.raw(value.to_bytes(1, "big"))

    def u16(self, value: int) -> Writer:
        return self.raw(value.to_bytes(2, "big"))

    def u32(self, value: int) -> Writer:
        return self.raw(value.to_bytes(4, "big"))

    def u64(self, value: int) -> Writer:
        return self.raw(value.to_bytes(8, "big"))

    def tpm2b(self, data: bytes) -> Writer:
        return self.u16(len(data)).raw(data)

    def value(self) -> bytes:
        return b"".join(self._parts)
