"""Simulated TPMs with distinct EKs (RSA keys derived once per session) and a sealing world on fakes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from adapters.memory.attestation import InMemoryAttestationRepository
from adapters.memory.clock import FakeClock
from adapters.memory.seals import InMemorySealRepository
from adapters.tpm.sealing import PytssSealMaker
from adapters.tpm.simulated import SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import HashAlg
from domain.devices import Device, Platform
from domain.sealing import PcrPolicy, SealedBlob
from domain.services.sealing import SealingService

SEALED_PCRS = (0, 1, 7)
# EK seeds the attestation tests also use: keygen caches RSA keys per seed, so a full run derives them once.
EK_A, EK_B = "enrol:100", "other-ek"


def simulated_a() -> SimulatedTpm:
    """Device A's TPM in its initial state (same EK every time, fresh PCRs)."""
    return SimulatedTpm("seal-device-a", rsa_seed=EK_A)


@pytest.fixture(scope="session")
def device_a() -> SimulatedTpm:
    return simulated_a()


@pytest.fixture(scope="session")
def device_b() -> SimulatedTpm:
    return SimulatedTpm("seal-device-b", rsa_seed=EK_B)


@pytest.fixture(scope="session")
def maker() -> PytssSealMaker:
    return PytssSealMaker()


def seal_blob(maker, tpm, secret: bytes = b"k" * 32, pcrs=SEALED_PCRS, values=None) -> bytes:
    """A blob for ``tpm``'s EK bound to ``values`` (default: its current PCRs)."""
    policy = PcrPolicy(HashAlg.SHA256, values if values is not None else tpm.pcr_read(pcrs))
    parts = maker.make_import_blob(tpm.ek_public(), policy.digest, secret)
    return SealedBlob(policy.bank, policy.pcrs, *parts).marshal()


def tpm_device(device_id: str, **changes) -> Device:
    fields = dict(
        name=device_id,
        platform=Platform.ATLAS,
        model="Atlas 500",
        firmware_version="2.1.0",
        tpm_enabled=True,
        tee_enabled=True,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    fields.update(changes)
    return Device(id=device_id, **fields)


class SealingWorld:
    def __init__(self, tpms: dict[str, SimulatedTpm], maker: PytssSealMaker) -> None:
        self.tpms = tpms
        self.clock = FakeClock()
        self.attestation = InMemoryAttestationRepository([tpm_device(device_id) for device_id in tpms])
        self.seals = InMemorySealRepository()
        self.issued: list[bytes] = []  # keys the service drew, to prove they never leak
        self.service = SealingService(self.attestation, self.seals, maker, self.clock, new_key=self._new_key)

    def _new_key(self, size: int) -> bytes:
        self.issued.append(secrets.token_bytes(size))
        return self.issued[-1]

    async def enrol(self, device_id: str, *, activated: bool = True) -> None:
        tpm = self.tpms[device_id]
        key = attestation_key_from_public(tpm.ak_public())
        await self.attestation.save_key(
            EnrolledKey(device_id, key, tpm.ak_public(), tpm.ek_public(), activated=activated)
        )


@pytest.fixture
async def world(device_a, device_b, maker) -> SealingWorld:
    built = SealingWorld({"edge-a": device_a, "edge-b": device_b}, maker)
    await built.enrol("edge-a")
    await built.enrol("edge-b")
    return built
