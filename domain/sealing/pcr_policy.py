"""The PCR policy a seal is bound to: ``"pcr_0,pcr_1,pcr_7"`` plus the expected values, and the
TPM2_PolicyPCR digest that becomes the sealed object's authPolicy.

Parsing is strict on purpose: a typo that silently dropped a PCR would seal a key to a weaker policy
than the operator asked for, so duplicates, out-of-range indexes and anything unparsable are refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import ReferencePolicy
from domain.errors import ValidationFailed

MAX_PCR_INDEX = 23
TPM_CC_POLICY_PCR = 0x0000017F
PCR_SELECT_BYTES = 3  # what TPMs and tpm2-tools send for 24 PCRs; the digest covers this exact size
POLICY_HASH = "sha256"  # the sealed object's nameAlg, hence the policy session's hash
_ITEM = re.compile(r"pcr_(0|[1-9][0-9]?)")  # no leading zeros: one spelling per PCR
_HEX = re.compile(r"(0[xX])?([0-9a-fA-F]*)")


def parse_policy(policy: str) -> list[int]:
    """``"pcr_0,pcr_1,pcr_7"`` -> ``[0, 1, 7]`` in the order given (pcr_values follow that order)."""
    if not isinstance(policy, str) or not policy.strip():
        raise ValidationFailed("policy must name at least one PCR, e.g. 'pcr_0,pcr_1,pcr_7'")
    indexes: list[int] = []
    for item in policy.split(","):
        match = _ITEM.fullmatch(item.strip())
        if match is None:
            raise ValidationFailed(f"policy item {item.strip()!r} is not pcr_<0-{MAX_PCR_INDEX}>")
        index = int(match.group(1))
        if index > MAX_PCR_INDEX:
            raise ValidationFailed(f"PCR {index} does not exist: indexes are 0-{MAX_PCR_INDEX}")
        if index in indexes:
            raise ValidationFailed(f"pcr_{index} appears twice in the policy")
        indexes.append(index)
    return indexes


def format_policy(pcrs: Sequence[int]) -> str:
    return ",".join(f"pcr_{index}" for index in pcrs)


def parse_pcr_values(pcrs: Sequence[int], values: Sequence[str], bank: HashAlg) -> dict[int, bytes]:
    """Hex values (``0x`` optional) matched to ``pcrs`` by position; each one a ``bank`` digest."""
    if len(values) != len(pcrs):
        raise ValidationFailed(f"the policy names {len(pcrs)} PCRs but {len(values)} pcr_values were given")
    parsed: dict[int, bytes] = {}
    for index, text in zip(pcrs, values, strict=True):
        match = _HEX.fullmatch(text) if isinstance(text, str) else None
        if match is None or len(match.group(2)) != 2 * bank.digest_size:
            raise ValidationFailed(
                f"pcr_{index} must be {bank.digest_size} bytes of hex for {bank.name}", details={"pcr": index}
            )
        parsed[index] = bytes.fromhex(match.group(2))
    return dict(sorted(parsed.items()))


def values_from_reference(
    pcrs: Sequence[int], reference: ReferencePolicy | None, device_id: str
) -> tuple[dict[int, bytes], HashAlg]:
    """pcr_values omitted: every named PCR must have a golden value in the device's reference policy."""
    if reference is None:
        raise ValidationFailed(
            f"pcr_values omitted and device {device_id} has no reference policy",
            details={"device_id": device_id},
        )
    missing = [index for index in pcrs if index not in reference.pcrs]
    if missing:
        raise ValidationFailed(
            f"pcr_values omitted and the reference policy of {device_id} lacks "
            + ", ".join(f"pcr_{i}" for i in missing),
            details={"missing_pcrs": missing},
        )
    return {index: reference.pcrs[index] for index in sorted(pcrs)}, reference.bank


def pcr_selection(bank: HashAlg, pcrs: Sequence[int]) -> bytes:
    """TPML_PCR_SELECTION with one bank: count, hash, sizeofSelect, bitmap (bit i % 8 of byte i // 8)."""
    bitmap = bytearray(PCR_SELECT_BYTES)
    for index in pcrs:
        bitmap[index // 8] |= 1 << (index % 8)
    return (1).to_bytes(4, "big") + int(bank).to_bytes(2, "big") + bytes([PCR_SELECT_BYTES]) + bytes(bitmap)


def policy_pcr_digest(bank: HashAlg, values: Mapping[int, bytes], previous: bytes | None = None) -> bytes:
    """TPM2_PolicyPCR's policy update: H(old || TPM_CC_PolicyPCR || selection || H(values ascending)).
    ``previous`` defaults to a fresh session's all-zero digest."""
    ordered = [values[index] for index in sorted(values)]
    pcr_digest = hashlib.new(POLICY_HASH, b"".join(ordered)).digest()
    old = previous if previous is not None else bytes(hashlib.new(POLICY_HASH).digest_size)
    update = old + TPM_CC_POLICY_PCR.to_bytes(4, "big") + pcr_selection(bank, sorted(values)) + pcr_digest
    return hashlib.new(POLICY_HASH, update).digest()


@dataclass(frozen=True)
class PcrPolicy:
    """The bank and the expected value of each selected PCR (ascending by index)."""

    bank: HashAlg
    values: Mapping[int, bytes]

    @property
    def pcrs(self) -> tuple[int, ...]:
        return tuple(sorted(self.values))

    @property
    def digest(self) -> bytes:
        return policy_pcr_digest(self.bank, self.values)
