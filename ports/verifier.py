from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.attestation.evidence import QuoteCheck, QuoteResult


class QuoteVerifier(Protocol):
    """Stateless, CPU-bound quote verification. One result per check, in input order."""

    name: str

    def verify_batch(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]: ...
