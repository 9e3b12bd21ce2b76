"""Reference (golden) PCR values a device must report, per device or per model + firmware version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from domain.attestation.evidence import HashAlg
from domain.devices import DeviceRecord
from domain.errors import ValidationFailed

_Policy = TypeVar("_Policy")

MAX_PCR_INDEX = 23  # PC Client TPMs implement PCRs 0..23


@dataclass(frozen=True)
class PolicyScope:
    """Either one device (``device_id``) or every device of ``model`` running ``firmware_version``."""

    device_id: str | None = None
    model: str | None = None
    firmware_version: str | None = None

    def __post_init__(self) -> None:
        per_device = self.device_id is not None
        per_model = self.model is not None and self.firmware_version is not None
        if per_device == per_model or (per_device and (self.model or self.firmware_version)):
            raise ValidationFailed("A policy scope is either a device id or a model with a firmware version")

    @classmethod
    def for_device(cls, device_id: str) -> PolicyScope:
        return cls(device_id=device_id)

    @classmethod
    def for_model(cls, model: str, firmware_version: str) -> PolicyScope:
        return cls(model=model, firmware_version=firmware_version)

    @property
    def is_device(self) -> bool:
        return self.device_id is not None


def scopes_for(device: DeviceRecord) -> list[PolicyScope]:
    """Lookup precedence: the device's own policy, then its model + firmware version policy."""
    scopes = [PolicyScope.for_device(device.id)]
    if device.model and device.firmware_version:
        scopes.append(PolicyScope.for_model(device.model, device.firmware_version))
    return scopes


@dataclass(frozen=True)
class ReferencePolicy:
    scope: PolicyScope
    pcrs: Mapping[int, bytes]
    bank: HashAlg = HashAlg.SHA256
    updated_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bank", HashAlg(self.bank))
        if not self.pcrs:
            raise ValidationFailed("A reference policy names at least one PCR")
        for index, value in self.pcrs.items():
            if not isinstance(index, int) or not 0 <= index <= MAX_PCR_INDEX:
                raise ValidationFailed(f"PCR index must be 0..{MAX_PCR_INDEX}, got {index!r}")
            if len(value) != self.bank.digest_size:
                size = self.bank.digest_size
                raise ValidationFailed(f"pcr_{index} must be {size} bytes for {self.bank.name}")
        object.__setattr__(self, "pcrs", dict(sorted(self.pcrs.items())))

    @property
    def selection(self) -> tuple[int, ...]:
        return tuple(self.pcrs)


def first_matching(policies: Iterable[_Policy | None]) -> _Policy | None:
    """The most specific of the policies found (callers list them device scope first)."""
    return next((policy for policy in policies if policy is not None), None)
