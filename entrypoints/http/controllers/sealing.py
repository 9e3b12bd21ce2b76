"""Sealing endpoints: seal a key to a device's TPM (seed), list a device's seals, and the agent's
view of the seals it should import."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from domain.access import Permission
from domain.services.sealing import SealingService
from entrypoints.http.auth import requires
from entrypoints.http.controllers.agent import acts_as_itself
from entrypoints.http.schemas.sealing import SealList, SealRequest, SealResult, SealView

Sealing = NamedDependency[SealingService]


class SealController(Controller):
    tags = ["sealing"]

    @post("/security/seal", operation_id="sealKey", guards=[requires(Permission.SEAL)], status_code=200)
    async def seal(self, request: Request, data: JSONBody[SealRequest], sealing: Sealing) -> SealResult:
        """Seal a new key to the device's TPM under a PCR policy. ``sealed_data`` is a TPM2_Import blob
        for the device's EK: only that TPM recovers the key, and only while the PCRs hold the values.
        The key itself is never returned or stored. 503 TEE_NOT_AVAILABLE without TPM and TEE;
        409 NOT_ENROLLED before TPM enrolment, CONFLICT for an active key_id without ``replace``."""
        seal = await sealing.seal(
            request.user,
            data.device_id,
            data.key_id,
            data.policy,
            data.pcr_values,
            bank=data.hash_alg,
            replace=data.replace,
        )
        return SealResult.of(seal)

    @get("/devices/{device_id:str}/seals", operation_id="listSeals", guards=[requires(Permission.SEALS_READ)])
    async def list_seals(self, device_id: FromPath[str], sealing: Sealing) -> SealList:
        """Every seal of the device, newest first, revoked ones included."""
        seals = await sealing.list_seals(device_id)
        return SealList(device_id, [SealView.of(s) for s in seals], len(seals))


class AgentSealController(Controller):
    """Under /api/v1/agent with the device credential: the blobs this device should import at boot."""

    path = "/devices/{device_id:str}/seals"
    tags = ["agent"]
    guards = [acts_as_itself]

    @get("/", operation_id="agentListSeals")
    async def active_seals(self, device_id: FromPath[str], sealing: Sealing) -> SealList:
        seals = await sealing.active_seals(device_id)
        return SealList(device_id, [SealView.of(s) for s in seals], len(seals))
