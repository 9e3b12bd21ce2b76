"""Signs firmware artifacts so agents can check them before installing."""

from __future__ import annotations

from typing import Protocol


class ArtifactSigner(Protocol):
    def sign(self, sha256_hex: str) -> str:
        """The signature (base64) over the artifact's 32-byte SHA-256 digest."""
        ...
