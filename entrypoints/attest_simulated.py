"""Attest N in-process simulated devices end to end (nonce, quote, batch verification, verdicts) with
in-memory stores: a demo of the pipeline and a way to measure it without a server."""
from __future__ import annotations

import time

from rich.console import Console

from adapters.clock import SystemClock
from adapters.memory.attestation import InMemoryAttestationRepository, InMemoryNonceStore
from adapters.tpm.fleet import SimulatedFleetGateway, build_fleet
from adapters.verifiers.choice import choose_verifier
from adapters.verifiers.keys import attestation_key_from_public
from domain.attestation.enrolment import EnrolledKey
from domain.devices import Device, Platform
from domain.services.attestation import AttestationService
from entrypoints.attest_cli import elapsed_since, progress


async def attest_simulated(count: int, verifier_name: str, console: Console):
    fleet = build_fleet(count, prefix="sim", seed="edgefleet-attest")
    repo = InMemoryAttestationRepository()
    for device_id, tpm in fleet.items():
        repo.add_device(Device(id=device_id, name=device_id, platform=Platform.ATLAS, tpm_enabled=True))
        ak = tpm.ak_public()
        # Simulated devices skip the credential activation round trip: their keys are known good.
        repo.keys[device_id] = EnrolledKey(device_id, attestation_key_from_public(ak), ak, tpm.ek_public(),
                                           activated=True)
    service = AttestationService(repo, InMemoryNonceStore(), SimulatedFleetGateway(fleet),
                                 choose_verifier(verifier_name), SystemClock())
    bar, task = progress(console, count)
    started = time.perf_counter()
    with bar:
        report = await service.verify_many(list(fleet), on_progress=lambda done, total: bar.update(task, completed=done))
    outcomes = [(v.status.value, list(v.reasons)) for v in report.verdicts]
    outcomes += [("unreachable", []) for _ in report.unreachable] + [("error", []) for _ in report.skipped]
    return outcomes, elapsed_since(started)
