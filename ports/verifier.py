from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from domain.attestation.evidence import QuoteCheck, QuoteResult

T = TypeVar("T")


class QuoteVerifier(Protocol):
    """Stateless, CPU-bound quote verification. One result per check, in input order."""

    name: str

    def verify_batch(self, checks: Sequence[QuoteCheck]) -> list[QuoteResult]: ...

    def verify_stream(
        self, chunks: Iterable[tuple[T, Sequence[QuoteCheck]]]
    ) -> Iterator[tuple[T, list[QuoteResult]]]:
        """(tag, results) per (tag, checks) chunk, in order; a verifier may pull the next chunk while it
        verifies this one, so ``chunks`` can be a lazy parser and memory stays one or two chunks."""
        ...
