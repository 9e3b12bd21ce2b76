"""Simulated TPMs (keys derived once per session) and the three verifiers the native tests compare."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from adapters.verifiers.keys import attestation_key_from_public
from adapters.verifiers.native_batch import NativeQuoteVerifier
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import AttestationKey, QuoteCheck, QuoteResult


@dataclass
class Devices:
    """One TPM per AK algorithm, plus a second TPM of each (a wrong but valid key)."""

    tpms: dict[AkAlgorithm, SimulatedTpm] = field(default_factory=dict)
    keys: dict[AkAlgorithm, AttestationKey] = field(default_factory=dict)
    others: dict[AkAlgorithm, AttestationKey] = field(default_factory=dict)


@pytest.fixture(scope="session")
def devices() -> Devices:
    found = Devices()
    for algorithm in AkAlgorithm:
        tpm = SimulatedTpm(f"native:{algorithm}", ak=algorithm)
        found.tpms[algorithm] = tpm
        found.keys[algorithm] = attestation_key_from_public(tpm.ak_public())
        other = SimulatedTpm(f"native-other:{algorithm}", ak=algorithm)
        found.others[algorithm] = attestation_key_from_public(other.ak_public())
    return found


class Comparison:
    """The reference verdicts and the native ones, on one thread and split over threads and chunks."""

    def __init__(self) -> None:
        self.reference = PythonQuoteVerifier()
        self.single = NativeQuoteVerifier(threads=1)
        self.pooled = NativeQuoteVerifier(threads=3, chunk_size=2)  # many chunks even for short lists

    def results(self, checks: list[QuoteCheck]) -> list[QuoteResult]:
        # Quote by quote: the reference's batch key cache is keyed by SPKI alone, so within one batch a
        # key record that mislabels its type changes the verdicts of other quotes with the same SPKI.
        expected = [self.reference.verify_one(check) for check in checks]
        for native in (self.single, self.pooled):
            got = native.verify_batch(checks)
            assert got == expected
            # clock and firmware do not take part in ==, but the use case reads them: compare too
            assert [(r.clock, r.firmware_version) for r in got] == [
                (r.clock, r.firmware_version) for r in expected
            ]
        return expected

    def close(self) -> None:
        self.pooled.close()


@pytest.fixture(scope="session")
def compare():
    comparison = Comparison()
    yield comparison.results
    comparison.close()
