"""Shared fixtures: the fake clock at START, simulated TPMs (keys derived once per session), and the use cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.memory.attestation import InMemoryAttestationRepository, InMemoryNonceStore
from adapters.memory.clock import FakeClock
from adapters.tpm.credential import PytssCredentialChallenger
from adapters.tpm.fleet import SimulatedFleetGateway
from adapters.tpm.simulated import SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.enrolment import EnrolledKey
from domain.devices import Device, Platform
from domain.services.attestation import AttestationService
from domain.services.enrolment import AkEnrolment
from domain.services.reference_policies import ReferencePolicies

START = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


def make_device(device_id: str = "edge-001", **changes) -> Device:
    fields = dict(
        name=device_id, platform=Platform.ATLAS, model="Atlas 500", firmware_version="2.1.0", tpm_enabled=True
    )
    fields.update(changes)
    return Device(id=device_id, **fields)


def activated_key(device_id: str, tpm: SimulatedTpm) -> EnrolledKey:
    """Skip the credential dance for tests that are about verification, not enrolment."""
    key = attestation_key_from_public(tpm.ak_public())
    return EnrolledKey(device_id, key, tpm.ak_public(), b"", activated=True)


class World:
    """One fleet of simulated devices wired to the attestation use cases through the in-memory fakes."""

    def __init__(self, tpms: dict[str, SimulatedTpm], clock: FakeClock) -> None:
        self.clock = clock
        self.tpms = tpms
        self.repo = InMemoryAttestationRepository([make_device(device_id) for device_id in tpms])
        self.nonces = InMemoryNonceStore()
        self.gateway = SimulatedFleetGateway(tpms)
        self.verifier = PythonQuoteVerifier()
        self.service = AttestationService(self.repo, self.nonces, self.gateway, self.verifier, clock)
        challenger = PytssCredentialChallenger()
        self.enrolment = AkEnrolment(self.repo, challenger, attestation_key_from_public, clock)
        self.policies = ReferencePolicies(self.repo, clock)

    def enrol_all(self) -> None:
        for device_id, tpm in self.tpms.items():
            self.repo.keys[device_id] = activated_key(device_id, tpm)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def world(clock: FakeClock) -> World:
    world = World({f"edge-00{i}": SimulatedTpm(f"unit:{i}") for i in (1, 2, 3)}, clock)
    world.enrol_all()
    return world
