"""Who the device says it is at enrolment: id, name, location, and the platform the server knows.

The server knows two platform families, ``atlas`` and ``hisilicon``. A generic Linux box (a probe
named ``linux``) is reported as ``hisilicon``, the ARM SoC family, unless ``--platform`` says otherwise.
"""
from __future__ import annotations

import re
import secrets
import socket
from dataclasses import dataclass

from ports.platform import PlatformFacts

REPORTED_PLATFORM = {"atlas": "atlas", "hisilicon": "hisilicon", "linux": "hisilicon"}
NOT_ID = re.compile(r"[^A-Za-z0-9._:-]+")


def reported_platform(probe_platform: str, override: str | None = None) -> str:
    chosen = (override or probe_platform).lower()
    if chosen not in REPORTED_PLATFORM:
        raise ValueError(f"unknown platform {chosen!r}; expected one of: {', '.join(REPORTED_PLATFORM)}")
    return REPORTED_PLATFORM[chosen]


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
        return {"id": self.device_id, "name": self.name or self.device_id, "location": self.location,
                "platform": reported_platform(facts.platform, self.platform), "model": facts.model,
                "cores": facts.cores, "memory_gb": facts.memory_gb or None,
                "firmware_version": facts.firmware_version, "tee_enabled": bool(facts.tee_enabled),
                "tpm_enabled": tpm_enabled}
