"""Composition root of ``edgefleet attest`` (the server's is entrypoints/container.py): the only place
the attest modes get adapters from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.verifiers.choice import choose_verifier
from ports.event_log import EventLogReplayer
from ports.verifier import QuoteVerifier

if TYPE_CHECKING:
    from domain.services.attestation import AttestationService


def quote_verifier(name: str, workers: int = 0) -> QuoteVerifier:
    """``workers``: verifier threads, 0 for one per core (the native verifier's default)."""
    verifier = choose_verifier(name)
    if workers and hasattr(verifier, "threads"):
        verifier.threads = workers
    return verifier


def evidence_stream(verifier: QuoteVerifier):
    """The native decoder of evidence lines when ``verifier`` is the native one (else None): lines go
    from the file's buffer to the C batch layout with no Python per line."""
    try:
        from adapters.verifiers.native_evidence import NativeEvidenceStream
    except ImportError:  # module not built: the reference decoder does it all
        return None
    return NativeEvidenceStream.serving(verifier)


def event_log_replayer() -> EventLogReplayer:
    """Replays the boot event logs evidence lines carry: native when built (batched, GIL released)."""
    from adapters.measured_boot.choice import choose_replayer

    return choose_replayer()


def simulated_fleet(count: int, verifier_name: str) -> tuple[AttestationService, list[str]]:
    """An attestation service over ``count`` simulated devices with in-memory stores, and their ids."""
    # imported here: the offline mode, which does not need them, should not pay for them at start-up
    from adapters.clock import SystemClock
    from adapters.memory.attestation import InMemoryAttestationRepository, InMemoryNonceStore
    from adapters.tpm.fleet import SimulatedFleetGateway, build_fleet
    from adapters.verifiers.keys import attestation_key_from_public
    from domain.attestation.enrolment import EnrolledKey
    from domain.devices import Device, Platform
    from domain.services.attestation import AttestationService

    fleet = build_fleet(count, prefix="sim", seed="edgefleet-attest")
    repo = InMemoryAttestationRepository()
    for device_id, tpm in fleet.items():
        repo.add_device(Device(id=device_id, name=device_id, platform=Platform.ATLAS, tpm_enabled=True))
        ak = tpm.ak_public()
        # Simulated devices skip the credential activation round trip: their keys are known good.
        repo.keys[device_id] = EnrolledKey(
            device_id, attestation_key_from_public(ak), ak, tpm.ek_public(), activated=True
        )
    service = AttestationService(
        repo, InMemoryNonceStore(), SimulatedFleetGateway(fleet), quote_verifier(verifier_name), SystemClock()
    )
    return service, list(fleet)
