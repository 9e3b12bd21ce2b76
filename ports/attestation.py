"""What the attestation use cases need from storage, the devices and the credential maker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from domain.attestation.enrolment import EnrolledKey
from domain.attestation.evidence import AttestationKey, ClockInfo, HashAlg, QuoteEvidence
from domain.attestation.nonce import Nonce, NonceStatus
from domain.attestation.policy import PolicyScope, ReferencePolicy
from domain.attestation.verdict import AttestationVerdict
from domain.devices import Device

# Turns an AK's marshalled TPM2B_PUBLIC into the key the verifier checks signatures with.
# Raises ValueError when the public area is not a usable key.
AkDecoder = Callable[[bytes], AttestationKey]


class AttestationRepository(Protocol):
    async def device(self, device_id: str) -> Device | None:
        """The device, decommissioned or not (model, firmware version and tpm_enabled drive attestation)."""
        ...

    async def save_key(self, record: EnrolledKey) -> None:
        """Insert or replace the device's AK record (one per device)."""
        ...

    async def get_key(self, device_id: str) -> EnrolledKey | None: ...

    async def add_verdict(self, verdict: AttestationVerdict) -> None:
        """Store the verdict and copy its status onto the device's ``attestation_status``."""
        ...

    async def latest_verdict(self, device_id: str) -> AttestationVerdict | None:
        """The newest verdict by timestamp, failed or not."""
        ...

    async def last_accepted_clock(self, device_id: str) -> ClockInfo | None:
        """Clock info of the device's newest *successful* verdict: the rollback baseline."""
        ...

    async def get_policy(self, scope: PolicyScope) -> ReferencePolicy | None: ...

    async def put_policy(self, policy: ReferencePolicy) -> None:
        """Insert or replace the policy of ``policy.scope``."""
        ...

    async def delete_policy(self, scope: PolicyScope) -> bool:
        """True when a policy existed."""
        ...

    async def list_policies(self) -> list[ReferencePolicy]:
        """Device policies first (by device id), then model policies (by model, firmware version)."""
        ...


class NonceStore(Protocol):
    async def issue(self, nonce: Nonce) -> None: ...

    async def consume(self, device_id: str, value: bytes, now: datetime) -> NonceStatus:
        """Atomically mark the nonce used and say what it was: VALID only the first time, before expiry."""
        ...


class CredentialChallenger(Protocol):
    def make_credential(self, ek_public: bytes, ak_name: bytes, secret: bytes) -> tuple[bytes, bytes]:
        """TPM2_MakeCredential outside a TPM: ``(credential_blob, encrypted_secret)``, marshalled as the
        TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET that TPM2_ActivateCredential takes. ``ek_public`` is a
        marshalled TPM2B_PUBLIC, ``ak_name`` the AK's Name. Raises ValueError for an unusable EK."""
        ...


class EkCertificateVerifier(Protocol):
    def verify(self, ek_public: bytes, ek_certificate: bytes | None) -> None:
        """Raise ValueError unless the certificate chains to a trusted CA and certifies ``ek_public``."""
        ...


class DeviceGateway(Protocol):
    async def request_quote(
        self, device_id: str, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256
    ) -> QuoteEvidence:
        """Ask the device's TPM for a quote over ``pcrs`` with ``nonce``. Raises DeviceUnreachable."""
        ...
