"""A QuoteVerifier decorator that records batch verification latency."""

from __future__ import annotations

import time
from collections.abc import Sequence

from adapters.observability.prometheus import FleetMetrics
from domain.attestation.evidence import QuoteCheck, QuoteResult
from ports.verifier import QuoteVerifier


class TimedVerifier:
    def __init__(self, inner: QuoteVerifier, metrics: FleetMetrics) -> None:
        self._inner, self._metrics = inner, metrics
        self.name = inner.name

    def verify_batch(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]:
        started = time.perf_counter()
        try:
            return self._inner.verify_batch(checks)
        finally:
            self._metrics.verification_seconds.labels(self.name).observe(time.perf_counter() - started)
