"""Device-facing (agent) bodies. Binary TPM structures travel base64, nonces and PCR values hex."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from domain.attestation.evidence import QuoteEvidence
from domain.devices import DeviceFacts, MetricSample
from domain.errors import ValidationFailed
from domain.measured_boot.tcg import MAX_AGENT_EVENT_LOG
from entrypoints.http.params import INT64_MAX
from entrypoints.http.schemas.attestation import BANKS
from entrypoints.http.schemas.devices import NO_NUL, Cores, DeviceCreate, MemoryGb, Text

B64 = Annotated[str, Meta(max_length=16384)]
# a boot event log (base64): real ones are 10-100 KiB; the body limit bounds it further
EventLogB64 = Annotated[str, Meta(max_length=4 * (MAX_AGENT_EVENT_LOG // 3 + 1))]
Percent = Annotated[float, Meta(ge=0, le=100)]
# BigInteger columns hold int64; floats are bounded where physics ends so rollup sums stay finite.
Count = Annotated[int, Meta(ge=0, le=INT64_MAX)]


def unb64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{what} must be base64") from None


def unhex(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise ValidationFailed(f"{what} must be hex") from None


class TpmKeys(Struct, forbid_unknown_fields=True):
    ek_public: B64
    ak_public: B64
    ek_certificate: B64 | None = None


class EnrolRequest(Struct, forbid_unknown_fields=True):
    enrollment_token: Annotated[str, Meta(min_length=8, max_length=256)]
    device: DeviceCreate  # the device's own facts, validated like an operator's registration
    tpm: TpmKeys | None = None


class TpmChallenge(Struct):
    credential_blob: str
    encrypted_secret: str
    expires_at: datetime


class Enrolled(Struct):
    device_id: str
    credential: str
    heartbeat_interval: int
    tpm_challenge: TpmChallenge | None


class ActivateRequest(Struct, forbid_unknown_fields=True):
    secret: B64


class Sample(Struct, forbid_unknown_fields=True):
    timestamp: datetime
    cpu_usage: Percent | None = None
    memory_usage: Percent | None = None
    temperature: Annotated[float, Meta(ge=-273.15, le=1000)] | None = None
    uptime_seconds: Count | None = None
    ai_core_usage: Percent | None = None
    npu_memory_used_mb: Annotated[float, Meta(ge=0, le=1e9)] | None = None
    power_w: Annotated[float, Meta(ge=0, le=1e6)] | None = None

    def to_sample(self, device_id: str) -> MetricSample:
        at = self.timestamp if self.timestamp.tzinfo else self.timestamp.replace(tzinfo=UTC)
        return MetricSample(
            device_id=device_id,
            timestamp=at.astimezone(UTC),
            cpu_usage=self.cpu_usage,
            memory_usage=self.memory_usage,
            temperature=self.temperature,
            uptime_seconds=self.uptime_seconds,
            ai_core_usage=self.ai_core_usage,
            npu_memory_used_mb=self.npu_memory_used_mb,
            power_w=self.power_w,
        )


# Capabilities are small and flat: names to a string, number, flag or short list (NPU ids ...).
CapabilityName = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
CapabilityText = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]
CapabilityNumber = Annotated[int, Meta(ge=-(2**53), le=2**53)]
CapabilityValue = (
    CapabilityText
    | CapabilityNumber
    | bool
    | None
    | Annotated[list[CapabilityText | CapabilityNumber], Meta(max_length=64)]
)


class Facts(Struct, forbid_unknown_fields=True):
    """What the device says about itself, sent when it changed; an absent or null field is not known."""

    model: Text | None = None
    cores: Cores | None = None
    memory_gb: MemoryGb | None = None
    firmware_version: Text | None = None
    tee_enabled: bool | None = None
    tee_type: Annotated[str, Meta(min_length=1, max_length=64, pattern=NO_NUL)] | None = None
    capabilities: Annotated[dict[CapabilityName, CapabilityValue], Meta(max_length=32)] | None = None

    def to_facts(self) -> DeviceFacts:
        return DeviceFacts(**msgspec.structs.asdict(self))


class Heartbeat(Struct, forbid_unknown_fields=True):
    samples: Annotated[list[Sample], Meta(min_length=1, max_length=100)]
    dropped: Count = 0
    facts: Facts | None = None


class HeartbeatAck(Struct):
    status: str
    accepted: int


class WorkCommand(Struct):
    id: int
    command: str
    parameters: dict[str, Any]
    deadline: datetime | None


class WorkChallenge(Struct):
    nonce: str
    pcrs: list[int]
    bank: str


class Work(Struct):
    commands: list[WorkCommand]
    attestation: list[WorkChallenge]


class CommandReport(Struct, forbid_unknown_fields=True):
    status: Literal["running", "succeeded", "failed", "rejected"]
    result: dict[str, Any] | None = None


class Evidence(Struct, forbid_unknown_fields=True):
    nonce: Annotated[str, Meta(max_length=256)]
    quote: B64
    signature: B64
    pcrs: Annotated[dict[str, Annotated[str, Meta(max_length=130)]], Meta(max_length=24)]
    hash_alg: str = "sha256"
    event_log: EventLogB64 | None = None

    def parsed(self) -> tuple[bytes, QuoteEvidence]:
        bank = BANKS.get(self.hash_alg)
        if bank is None:
            raise ValidationFailed(f"hash_alg must be one of {', '.join(BANKS)}")
        values = {}
        for key, value in self.pcrs.items():
            if not key.isdigit() or int(key) > 23:
                raise ValidationFailed(f"PCR index {key!r} must be 0-23")
            values[int(key)] = unhex(value, f"PCR {key}")
        log = unb64(self.event_log, "event_log") if self.event_log is not None else None
        evidence = QuoteEvidence(
            unb64(self.quote, "quote"), unb64(self.signature, "signature"), values, bank, log
        )
        return unhex(self.nonce, "nonce"), evidence


class EvidenceAck(Struct):
    accepted: bool
