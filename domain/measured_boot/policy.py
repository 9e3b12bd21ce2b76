"""Event-based reference policies: rules over a replayed boot log instead of golden PCR values.

Rules (each optional; several allowed values per rule):
  boot_applications  digests of EV_EFI_BOOT_SERVICES_APPLICATION (PCR 4: bootloader, kernel)
  firmware_blobs     digests of EV_EFI_PLATFORM_FIRMWARE_BLOB / BLOB2 (PCR 0)
  option_roms        digests of EV_EFI_BOOT_SERVICES_DRIVER on PCR 2
  secure_boot        the SecureBoot variable (PCR 7) is 1
  pk, kek, db, dbx   SHA-256 of the variable's data as measured on PCR 7
  separators         a zero EV_SEPARATOR on each of PCRs 0-7

Only what replays is believed. Digest rules read the digest of the quoted bank, which the replay
proved; data rules (Secure Boot, PK..dbx, separators) read an event's data only where every digest
of the event is the hash of that data (uefi.trusted). An event on a PCR the quote did not cover proves
nothing, so a rule that needs it fails; ``required_pcrs`` is what a challenge must select.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope
from domain.errors import ValidationFailed
from domain.measured_boot.eventlog import Event, EventLog
from domain.measured_boot.tcg import EventType, type_name
from domain.measured_boot.uefi import (
    EFI_GLOBAL_VARIABLE,
    EFI_IMAGE_SECURITY_DATABASE,
    decode_variable,
    trusted,
)

DIGEST_RULES = {
    "boot_applications": (frozenset({EventType.EV_EFI_BOOT_SERVICES_APPLICATION}), None),
    "firmware_blobs": (
        frozenset({EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB, EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB2}),
        None,
    ),
    "option_roms": (frozenset({EventType.EV_EFI_BOOT_SERVICES_DRIVER}), 2),
}
VARIABLE_RULES = {
    "pk": ("PK", EFI_GLOBAL_VARIABLE),
    "kek": ("KEK", EFI_GLOBAL_VARIABLE),
    "db": ("db", EFI_IMAGE_SECURITY_DATABASE),
    "dbx": ("dbx", EFI_IMAGE_SECURITY_DATABASE),
}
SEPARATOR_PCRS = tuple(range(8))
MAX_ALLOWED = 256  # allowed values per rule
_RULE_PCRS = {
    "boot_applications": {4},
    "firmware_blobs": {0},
    "option_roms": {2},
    "secure_boot": {7},
    "pk": {7},
    "kek": {7},
    "db": {7},
    "dbx": {7},
    "separators": set(SEPARATOR_PCRS),
}


@dataclass(frozen=True)
class FailedEvent:
    """One failed rule: the event it judged (None when the event is missing), expected vs seen."""

    rule: str
    expected: tuple[str, ...]
    seen: str
    event: int | None = None
    pcr: int | None = None
    type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "event": self.event,
            "pcr": self.pcr,
            "type": self.type,
            "expected": list(self.expected),
            "seen": self.seen,
        }


@dataclass(frozen=True)
class EventPolicy:
    scope: PolicyScope
    boot_applications: frozenset[str] | None = None
    firmware_blobs: frozenset[str] | None = None
    option_roms: frozenset[str] | None = None
    secure_boot: bool | None = None
    pk: frozenset[str] | None = None
    kek: frozenset[str] | None = None
    db: frozenset[str] | None = None
    dbx: frozenset[str] | None = None
    separators: bool | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in (*DIGEST_RULES, *VARIABLE_RULES):
            values = getattr(self, name)
            if values is None:
                continue
            values = frozenset(v.lower() for v in values)
            if not values or len(values) > MAX_ALLOWED:
                raise ValidationFailed(f"{name} lists 1..{MAX_ALLOWED} allowed digests")
            for value in values:
                if len(value) not in (40, 64, 96, 128) or not all(c in "0123456789abcdef" for c in value):
                    raise ValidationFailed(f"{name}: {value[:20]!r} is not a SHA-1/256/384/512 digest in hex")
            object.__setattr__(self, name, values)
        if all(getattr(self, name) is None for name in _RULE_PCRS):
            raise ValidationFailed("An event policy has at least one rule")

    @property
    def rules(self) -> list[str]:
        return [name for name in _RULE_PCRS if getattr(self, name) is not None]

    @property
    def required_pcrs(self) -> tuple[int, ...]:
        return tuple(sorted(set().union(*(_RULE_PCRS[name] for name in self.rules))))

    def as_dict(self) -> dict[str, Any]:
        """The API's and the store's document: rules only, allowed values sorted."""
        out = {}
        for name in self.rules:
            value = getattr(self, name)
            out[name] = value if isinstance(value, bool) else sorted(value)
        return out

    @classmethod
    def from_dict(
        cls, scope: PolicyScope, document: dict[str, Any], updated_at: datetime | None = None
    ) -> EventPolicy:
        unknown = set(document) - set(_RULE_PCRS)
        if unknown:
            raise ValidationFailed(f"unknown event policy rules: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in document.items():
            if value is None:
                continue
            if name in ("secure_boot", "separators"):
                if not isinstance(value, bool):
                    raise ValidationFailed(f"{name} is true or false")
                values[name] = value
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                values[name] = frozenset(value)
            else:
                raise ValidationFailed(f"{name} is a list of hex digests")
        return cls(scope, **values, updated_at=updated_at)


def evaluate(policy: EventPolicy, log: EventLog, bank: HashAlg, quoted: frozenset[int]) -> list[FailedEvent]:
    """Every failed rule of ``policy`` on a log whose replay equals the quote over ``quoted`` PCRs."""
    failed: list[FailedEvent] = []
    for name in policy.rules:
        missing = sorted(_RULE_PCRS[name] - quoted)
        if missing:
            failed.append(
                FailedEvent(
                    name,
                    (f"PCRs {sorted(_RULE_PCRS[name])} quoted",),
                    f"PCR {missing[0]} not quoted",
                    pcr=missing[0],
                )
            )
        elif name in DIGEST_RULES:
            failed += _digest_rule(name, getattr(policy, name), log, bank)
        elif name in VARIABLE_RULES:
            failed += _variable_rule(name, getattr(policy, name), log)
        elif name == "secure_boot":
            failed += _secure_boot(bool(policy.secure_boot), log)  # a rule only when set
        else:
            failed += _separators(log) if policy.separators else []
    return failed


def learn(scope: PolicyScope, log: EventLog, bank: HashAlg) -> EventPolicy:
    """A policy that a known-good device's (replayed) log passes: its digests, variables and state."""
    values: dict[str, Any] = {}
    for name, (types, pcr) in DIGEST_RULES.items():
        seen = {_digest(e, bank) for e in log.events if e.type in types and (pcr is None or e.pcr == pcr)}
        if seen and None not in seen:
            values[name] = frozenset(seen)
    for name in VARIABLE_RULES:
        found = [_variable_value(e) for e in _variable_events(name, log)]
        if found and None not in found:
            values[name] = frozenset(hashlib.sha256(v).hexdigest() for v in found if v is not None)
    state = [_variable_value(e) for e in _variable_events("secure_boot", log)]
    if state and None not in state:
        values["secure_boot"] = all(v == b"\x01" for v in state)
    if not _separators(log):
        values["separators"] = True
    return EventPolicy(scope, **values)


def _digest(event: Event, bank: HashAlg) -> str | None:
    digest = event.digests.get(int(bank))
    return digest.hex() if digest is not None else None


def _failure(name: str, expected: str | Iterable[str], seen: str, event: Event | None) -> FailedEvent:
    wanted = tuple(sorted(expected)) if not isinstance(expected, str) else (expected,)
    if event is None:
        return FailedEvent(name, wanted, seen)
    return FailedEvent(name, wanted, seen, event.number, event.pcr, type_name(event.type))


def _digest_rule(name: str, allowed: frozenset[str], log: EventLog, bank: HashAlg) -> list[FailedEvent]:
    types, pcr = DIGEST_RULES[name]
    events = [e for e in log.events if e.type in types and (pcr is None or e.pcr == pcr)]
    if not events and name == "boot_applications":
        return [_failure(name, allowed, "no boot application measured", None)]
    failed = []
    for event in events:
        digest = _digest(event, bank)
        if digest not in allowed:
            failed.append(_failure(name, allowed, digest or f"no {bank.name.lower()} digest", event))
    return failed


def _variable_events(name: str, log: EventLog) -> list[Event]:
    variable, vendor = ("SecureBoot", EFI_GLOBAL_VARIABLE) if name == "secure_boot" else VARIABLE_RULES[name]
    found = []
    for event in log.events:
        if event.type == EventType.EV_EFI_VARIABLE_DRIVER_CONFIG and event.pcr == 7:
            decoded = decode_variable(event.data)
            if decoded is not None and decoded[:2] == (vendor, variable):
                found.append(event)
    return found


def _variable_value(event: Event) -> bytes | None:
    """The variable's data, only when the event's data is what was measured."""
    decoded = decode_variable(event.data) if trusted(event) else None
    return decoded[2] if decoded is not None else None


def _variable_rule(name: str, allowed: frozenset[str], log: EventLog) -> list[FailedEvent]:
    events = _variable_events(name, log)
    if not events:
        return [_failure(name, allowed, f"{VARIABLE_RULES[name][0]} not measured", None)]
    failed = []
    for event in events:
        value = _variable_value(event)
        seen = "data does not match its digest" if value is None else hashlib.sha256(value).hexdigest()
        if seen not in allowed:
            failed.append(_failure(name, allowed, seen, event))
    return failed


def _secure_boot(required: bool, log: EventLog) -> list[FailedEvent]:
    expected = "enabled" if required else "disabled"
    events = _variable_events("secure_boot", log)
    if not events:
        return [_failure("secure_boot", expected, "SecureBoot not measured", None)]
    failed = []
    for event in events:
        value = _variable_value(event)
        seen = (
            "data does not match its digest"
            if value is None
            else ("enabled" if value == b"\x01" else "disabled")
        )
        if seen != expected:
            failed.append(_failure("secure_boot", expected, seen, event))
    return failed


def _separators(log: EventLog) -> list[FailedEvent]:
    failed = []
    for pcr in SEPARATOR_PCRS:
        events = [e for e in log.events if e.type == EventType.EV_SEPARATOR and e.pcr == pcr]
        if not events:
            failed.append(
                FailedEvent(
                    "separators",
                    ("00000000",),
                    "no separator",
                    pcr=pcr,
                    type=type_name(EventType.EV_SEPARATOR),
                )
            )
        for event in events:
            if not trusted(event) or event.data != bytes(4):
                seen = event.data.hex() if trusted(event) else "data does not match its digest"
                failed.append(_failure("separators", "00000000", seen, event))
    return failed
