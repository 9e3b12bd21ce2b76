"""Who the device says it is: id, name, location and platform at enrolment, its facts in heartbeats.

The server knows two platform families, ``atlas`` and ``hisilicon``. A generic Linux host (a probe
named ``linux``) is neither, and the agent does not guess: ``--platform`` must say which it is.
"""

from __future__ import annotations

import re
import secrets
import socket
from dataclasses import dataclass

from ports.platform import PlatformFacts

FAMILIES = ("atlas", "hisilicon")
NOT_ID = re.compile(r"[^A-Za-z0-9._:-]+")
# Heartbeat facts stay inside the server's bounds (entrypoints/http/schemas/agent.py Facts).
CAPABILITY_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_CAPABILITIES, MAX_LIST, MAX_TEXT = 32, 64, 256


class PlatformUnknown(ValueError):
    """The host is neither platform family the server knows, and nobody said which it is."""


def reported_platform(probe_platform: str, override: str | None = None) -> str:
    chosen = (override or probe_platform).lower()
    if chosen in FAMILIES:
        return chosen
    if override:
        raise PlatformUnknown(f"unknown platform {override!r}; expected one of: {', '.join(FAMILIES)}")
    raise PlatformUnknown(
        f"this host looks like a generic Linux machine (the {probe_platform} probe found no npu-smi or "
        "Ascend device and no HiSilicon SoC); the server manages Atlas and HiSilicon devices only, so "
        "run the agent with --platform atlas or --platform hisilicon to say which family this device is"
    )


def _capability(value):
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT].replace("\x00", "")
    if isinstance(value, list | tuple):
        items = [_capability(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]
        return items[:MAX_LIST]
    return None  # floats, mappings: not capabilities


def capabilities(extra: dict) -> dict:
    """The probe's extras a server keeps: named plainly, scalar or short lists, no transient errors."""
    kept = {
        name: _capability(value)
        for name, value in sorted(extra.items())
        if CAPABILITY_NAME.match(name) and not name.endswith("_error")
    }
    return dict(list({k: v for k, v in kept.items() if v is not None}.items())[:MAX_CAPABILITIES])


def heartbeat_facts(facts: PlatformFacts) -> dict:
    """The ``facts`` object of a heartbeat: what the inventory follows when it changes."""
    return {
        "model": (facts.model or "")[:255] or None,
        "cores": facts.cores,
        "memory_gb": facts.memory_gb or None,
        "firmware_version": (facts.firmware_version or "")[:255] or None,
        "tee_enabled": bool(facts.tee_enabled),
        "tee_type": (facts.tee_type or "")[:64] or None,
        "capabilities": capabilities(facts.extra),
    }


def default_device_id(hostname: str | None = None) -> str:
    """``<hostname>-<6 hex>``: readable, yet two boxes both called ``localhost`` do not collide."""
    base = NOT_ID.sub("-", hostname or socket.gethostname()).strip("-._:")[:56] or "device"
    return f"{base}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Identity:
    device_id: str
    name: str | None = None
    location: str | None = None
    platform: str | None = None  # override for the reported platform

    def report(self, facts: PlatformFacts, tpm_enabled: bool) -> dict:
        """The ``device`` object of the enrolment request."""
        return {
            "id": self.device_id,
            "name": self.name or self.device_id,
            "location": self.location,
            "platform": reported_platform(facts.platform, self.platform),
            "model": facts.model,
            "cores": facts.cores,
            "memory_gb": facts.memory_gb or None,
            "firmware_version": facts.firmware_version,
            "tee_enabled": bool(facts.tee_enabled),
            "tpm_enabled": tpm_enabled,
        }
