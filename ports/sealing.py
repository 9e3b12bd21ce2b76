"""What the sealing use case needs: an import-blob builder and a store for seal records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from domain.sealing import Seal


class SealMaker(Protocol):
    def make_import_blob(
        self, parent_public: bytes, auth_policy: bytes, secret: bytes
    ) -> tuple[bytes, bytes, bytes]:
        """Build, outside any TPM, a sealed KEYEDHASH object holding ``secret`` whose authPolicy is
        ``auth_policy``, duplicated to the parent ``parent_public`` (a marshalled TPM2B_PUBLIC of a
        restricted decryption key: the device's EK). Returns the marshalled ``(TPM2B_PUBLIC,
        TPM2B_PRIVATE, TPM2B_ENCRYPTED_SECRET)`` that TPM2_Import takes. CPU only, so not async.
        Raises ValueError when the parent cannot be used."""
        ...


class SealRepository(Protocol):
    async def add(self, seal: Seal, *, replaces: Seal | None = None) -> None:
        """Store ``seal``; with ``replaces`` that seal is revoked in the same transaction. Raises
        domain.errors.Conflict when the device already holds another active seal with this key_id."""
        ...

    async def get_active(self, device_id: str, key_id: str) -> Seal | None: ...

    async def list_for_device(self, device_id: str) -> list[Seal]:
        """Every seal of the device, revoked ones included, newest first."""
        ...

    async def seal_statuses(self, device_id: str) -> set[str]:
        """The distinct statuses of the device's seals (empty when it never had one)."""
        ...

    async def sealed_devices(self, device_ids: Iterable[str]) -> set[str]:
        """Read side (compliance, metrics): which of ``device_ids`` hold at least one active seal."""
        ...
