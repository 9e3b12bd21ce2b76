"""Sealing bodies: the API contract's request and response, plus the seal record for listings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from domain.devices import DEVICE_ID_PATTERN
from domain.sealing import KEY_ID_PATTERN, Seal
from entrypoints.http.schemas.attestation import BANK_NAMES, BANKS, PcrHex

BankName = Literal["sha1", "sha256", "sha384", "sha512"]


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


class SealRequest(Struct, forbid_unknown_fields=True):
    device_id: Annotated[str, Meta(pattern=DEVICE_ID_PATTERN.pattern)]
    key_id: Annotated[str, Meta(pattern=KEY_ID_PATTERN.pattern)]
    policy: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=256,
            examples=["pcr_0,pcr_1,pcr_7"],
            description="Comma-separated pcr_<0-23>, each named once",
        ),
    ]
    pcr_values: (
        Annotated[
            list[PcrHex],
            Meta(
                max_length=24,
                description="Expected values in the policy's order; omitted: the reference policy's",
            ),
        ]
        | None
    ) = None
    bank: Annotated[BankName | None, Meta(description="Default sha256, or the reference policy's")] = None
    replace: Annotated[bool, Meta(description="Revoke an active seal with the same key_id")] = False

    @property
    def hash_alg(self):
        return BANKS[self.bank] if self.bank else None


class SealResult(Struct):
    """The API contract's response (success, device_id, key_id, sealed_data, timestamp) plus the seal's policy."""

    success: bool
    device_id: str
    key_id: str
    sealed_data: Annotated[
        str,
        Meta(
            description="0x-hex: TPML_PCR_SELECTION || TPM2B_PUBLIC || "
            "TPM2B_PRIVATE || TPM2B_ENCRYPTED_SECRET for TPM2_Import"
        ),
    ]
    timestamp: datetime
    seal_id: str
    policy: str
    pcr_values: list[str]
    bank: str
    policy_digest: str
    status: str

    @classmethod
    def of(cls, seal: Seal) -> SealResult:
        return cls(
            success=True,
            device_id=seal.device_id,
            key_id=seal.key_id,
            sealed_data=_hex(seal.sealed_blob),
            timestamp=seal.created_at,
            seal_id=seal.id,
            policy=seal.policy,
            pcr_values=[_hex(v) for v in seal.pcr_values.values()],
            bank=BANK_NAMES[seal.bank],
            policy_digest=_hex(seal.policy_digest),
            status=seal.status.value,
        )


class SealView(Struct):
    id: str
    device_id: str
    key_id: str
    policy: str
    bank: str
    pcr_values: list[str]
    policy_digest: str
    sealed_data: str
    status: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, seal: Seal) -> SealView:
        return cls(
            id=seal.id,
            device_id=seal.device_id,
            key_id=seal.key_id,
            policy=seal.policy,
            bank=BANK_NAMES[seal.bank],
            pcr_values=[_hex(v) for v in seal.pcr_values.values()],
            policy_digest=_hex(seal.policy_digest),
            sealed_data=_hex(seal.sealed_blob),
            status=seal.status.value,
            created_at=seal.created_at,
            created_by=seal.created_by,
            revoked_at=seal.revoked_at,
        )


class SealList(Struct):
    device_id: str
    seals: list[SealView]
    total: int
