"""UEFI event data (UEFI_VARIABLE_DATA, UEFI_IMAGE_LOAD_EVENT, firmware blobs) and when to believe it.

A replayed log proves its digests, not its data: firmware may write anything beside a digest. Data is
``trusted`` only where every digest of the event is the hash of exactly that data (go-attestation's
event log disclosure advisory is what ignoring this costs). Image loads and firmware blobs measure the
image, not the event data: their policies judge the digests only.
"""

from __future__ import annotations

import hashlib
import uuid
from struct import Struct
from typing import Any

from domain.attestation.evidence import HashAlg
from domain.measured_boot.eventlog import Event
from domain.measured_boot.tcg import EventType

EFI_GLOBAL_VARIABLE = uuid.UUID("8be4df61-93ca-11d2-aa0d-00e098032b8c")  # SecureBoot, PK, KEK, Boot####
EFI_IMAGE_SECURITY_DATABASE = uuid.UUID("d719b2cb-3d3a-4596-a3bc-dad00e67656f")  # db, dbx
EFI_CERT_X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
EFI_CERT_SHA256 = uuid.UUID("c1c41626-504c-4092-aca9-41f936934328")

_VAR_HEADER = Struct("<16sQQ")
_IMAGE_LOAD = Struct("<QQQQ")
_BLOB = Struct("<QQ")
_SIG_LIST = Struct("<16sIII")
_HASHES = {int(alg): alg.name.lower() for alg in HashAlg}


def trusted(event: Event) -> bool:
    """Every digest of the event is the hash of its data: the data is what was measured."""
    return bool(event.digests) and all(
        hashlib.new(_HASHES[alg], event.data).digest() == digest for alg, digest in event.digests.items()
    )


def decode_variable(data: bytes) -> tuple[uuid.UUID, str, bytes] | None:
    """UEFI_VARIABLE_DATA -> (vendor GUID, name, variable data); None unless it is exactly one."""
    if len(data) < _VAR_HEADER.size:
        return None
    guid, name_chars, data_len = _VAR_HEADER.unpack_from(data)
    name_end = _VAR_HEADER.size + 2 * name_chars
    if name_chars > len(data) or name_end + data_len != len(data):
        return None
    try:
        name = data[_VAR_HEADER.size : name_end].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    return uuid.UUID(bytes_le=guid), name, data[name_end:]


def encode_variable(guid: uuid.UUID, name: str, value: bytes) -> bytes:
    encoded = name.encode("utf-16-le")
    return _VAR_HEADER.pack(guid.bytes_le, len(encoded) // 2, len(value)) + encoded + value


def encode_image_load(location: int, length: int, device_path: bytes) -> bytes:
    return _IMAGE_LOAD.pack(location, length, 0, len(device_path)) + device_path


def encode_blob(base: int, length: int) -> bytes:
    return _BLOB.pack(base, length)


def encode_signature_list(kind: uuid.UUID, owner: uuid.UUID, entries: list[bytes]) -> bytes:
    """One EFI_SIGNATURE_LIST of equally sized entries (x509 lists hold one certificate each)."""
    size = 16 + len(entries[0])
    body = b"".join(owner.bytes_le + entry for entry in entries)
    return _SIG_LIST.pack(kind.bytes_le, _SIG_LIST.size + len(body), 0, size) + body


def signature_entries(value: bytes) -> list[tuple[str, str]] | None:
    """(type, sha256 of the entry) per EFI_SIGNATURE_DATA of a db-style variable; None when malformed."""
    entries, at = [], 0
    while at < len(value):
        if len(value) - at < _SIG_LIST.size:
            return None
        kind, list_size, header_size, size = _SIG_LIST.unpack_from(value, at)
        start = at + _SIG_LIST.size + header_size
        if list_size < _SIG_LIST.size + header_size or at + list_size > len(value) or size <= 16:
            return None
        if (at + list_size - start) % size:
            return None
        label = {EFI_CERT_X509: "x509", EFI_CERT_SHA256: "sha256"}.get(uuid.UUID(bytes_le=kind), "other")
        for entry in range(start, at + list_size, size):
            entries.append((label, hashlib.sha256(value[entry + 16 : entry + size]).hexdigest()))
        at += list_size
    return entries


def describe(event: Event) -> dict[str, Any] | None:
    """Decoded fields of a trusted event for people to read; None when the data is not trusted."""
    if not trusted(event):
        return None
    kind = event.type
    if kind in (
        EventType.EV_EFI_VARIABLE_DRIVER_CONFIG,
        EventType.EV_EFI_VARIABLE_AUTHORITY,
        EventType.EV_EFI_VARIABLE_BOOT,
        EventType.EV_EFI_VARIABLE_BOOT2,
    ):
        decoded = decode_variable(event.data)
        if decoded is None:
            return None
        guid, name, value = decoded
        out: dict[str, Any] = {
            "variable": name,
            "vendor": str(guid),
            "data_sha256": hashlib.sha256(value).hexdigest(),
        }
        if name == "SecureBoot":
            out["enabled"] = value == b"\x01"
        elif name in ("PK", "KEK", "db", "dbx"):
            out["entries"] = signature_entries(value)
        return out
    if kind in (
        EventType.EV_EFI_ACTION,
        EventType.EV_S_CRTM_VERSION,
        EventType.EV_IPL,
        EventType.EV_POST_CODE,
    ):
        text = event.data.decode(
            "utf-16-le" if kind == EventType.EV_S_CRTM_VERSION else "latin-1", errors="replace"
        )
        return {"text": text.rstrip("\0")}
    if kind == EventType.EV_SEPARATOR:
        return {"separator": event.data.hex()}
    return {"data": event.data.hex()}
