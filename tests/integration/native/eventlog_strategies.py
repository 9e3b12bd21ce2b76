"""Hypothesis strategies for event logs: well-formed ones of every shape, then damaged copies."""

from __future__ import annotations

from hypothesis import strategies as st

from domain.attestation.evidence import HashAlg
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.tcg import STARTUP_LOCALITY_SIGNATURE, EventType

TYPES = [
    EventType.EV_POST_CODE,
    EventType.EV_SEPARATOR,
    EventType.EV_S_CRTM_VERSION,
    EventType.EV_IPL,
    EventType.EV_EFI_VARIABLE_DRIVER_CONFIG,
    EventType.EV_EFI_BOOT_SERVICES_APPLICATION,
    EventType.EV_EFI_ACTION,
    EventType.EV_NO_ACTION,
    0x12345678,
]


@st.composite
def events(draw, banks: tuple[int, ...]):
    pcr = draw(st.integers(0, 23))
    kind = draw(st.sampled_from(TYPES))
    data = draw(st.binary(max_size=40))
    if kind == EventType.EV_NO_ACTION:
        data = b"vendor:" + data  # never a second StartupLocality event (a fault, not a well-formed log)
    carried = draw(st.lists(st.sampled_from(banks), min_size=1, max_size=len(banks), unique=True))
    digests = {
        bank: draw(st.binary(min_size=HashAlg(bank).digest_size, max_size=HashAlg(bank).digest_size))
        for bank in carried
    }
    return pcr, kind, data, digests


@st.composite
def logs(draw) -> bytes:
    """A well-formed log: crypto-agile over any mix of banks (in any order) or legacy SHA-1."""
    legacy = draw(st.booleans())
    banks = (
        (int(HashAlg.SHA1),)
        if legacy
        else tuple(
            draw(st.lists(st.sampled_from([int(a) for a in HashAlg]), min_size=1, max_size=4, unique=True))
        )
    )
    builder = LogBuilder(banks, legacy=legacy)
    if legacy:  # a legacy log needs a first record: one that is not a Spec ID event
        builder.event(0, EventType.EV_S_CRTM_VERSION, b"\x01\x00")
    if draw(st.booleans()) and not legacy:
        builder.startup_locality(draw(st.sampled_from([0, 3, 4])))
    for pcr, kind, data, digests in draw(st.lists(events(banks), max_size=12)):
        if legacy:
            digests = {int(HashAlg.SHA1): digests.get(int(HashAlg.SHA1), bytes(20))}
        builder.event(pcr, kind, data, digests)
    return builder.build()


@st.composite
def damaged_logs(draw) -> bytes:
    """A well-formed log with bytes flipped, u32 fields overwritten, a cut, or bytes inserted."""
    data = bytearray(draw(logs()))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "word", "cut", "insert", "locality"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "word" and len(data) >= 4:
            at = min(at, len(data) - 4)
            word = draw(
                st.sampled_from([0, 1, 2, 3, 4, 5, 24, 0xFF, 0x100000, 0x100001, 0x7FFFFFFF, 0xFFFFFFFF])
            )
            data[at : at + 4] = word.to_bytes(4, "little")
        elif how == "cut":
            del data[at:]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif how == "locality":  # a StartupLocality event somewhere it may not be
            data[at:at] = (
                (0).to_bytes(4, "little")
                + EventType.EV_NO_ACTION.to_bytes(4, "little")
                + (1).to_bytes(4, "little")
                + b"\x0b\x00"
                + bytes(32)
                + (17).to_bytes(4, "little")
                + STARTUP_LOCALITY_SIGNATURE
                + bytes([draw(st.integers(0, 6))])
            )
    return bytes(data)
