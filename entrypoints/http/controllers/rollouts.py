"""Firmware rollouts (/api/v1/edge/rollouts) and firmware releases (/api/v1/edge/firmware): admins
create and steer them, operators and auditors follow them."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from domain.access import Permission
from domain.rollouts import RolloutState
from domain.services.rollouts import RolloutService
from entrypoints.http.auth import requires
from entrypoints.http.params import INT64_MAX, Offset
from entrypoints.http.schemas.rollouts import (
    ArtifactBody,
    ArtifactView,
    FirmwareList,
    FirmwareView,
    RolloutCreate,
    RolloutList,
    RolloutView,
    TargetList,
    TargetView,
    Version,
)

Rollouts = NamedDependency[RolloutService]
RolloutId = Annotated[int, PathParameter(ge=1, le=INT64_MAX)]
READ, WRITE = [requires(Permission.ROLLOUTS_READ)], [requires(Permission.ROLLOUTS_WRITE)]


class FirmwareController(Controller):
    path = "/firmware"
    tags = ["rollouts"]

    @get("/", operation_id="listFirmware", guards=READ)
    async def list_firmware(self, rollouts: Rollouts) -> FirmwareList:
        return FirmwareList([FirmwareView(v, ArtifactView.of(a)) for v, a in await rollouts.firmware()])

    @put("/{version:str}", operation_id="putFirmware", guards=WRITE)
    async def put_firmware(
        self, request: Request, version: FromPath[Version], data: JSONBody[ArtifactBody], rollouts: Rollouts
    ) -> FirmwareView:
        """Register a version's artifact (signed with EDGEFLEET_ROLLOUT_SIGNING_KEY when configured and no
        signature is given). A version keeps its artifact: another one is a 409."""
        artifact = await rollouts.register_firmware(request.user, version, data.artifact())
        return FirmwareView(version, ArtifactView.of(artifact))


class RolloutController(Controller):
    path = "/rollouts"
    tags = ["rollouts"]

    @get("/", operation_id="listRollouts", guards=READ)
    async def list_rollouts(
        self,
        rollouts: Rollouts,
        in_state: Annotated[RolloutState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Offset = 0,
    ) -> RolloutList:
        found, total = await rollouts.list({in_state} if in_state else None, limit, offset)
        return RolloutList([RolloutView.of(r) for r in found], total, limit, offset)

    @post("/", operation_id="createRollout", guards=WRITE, status_code=201)
    async def create_rollout(
        self, request: Request, data: JSONBody[RolloutCreate], rollouts: Rollouts
    ) -> RolloutView:
        """Targets are the group's devices now; the scheduler starts the rollout within a step. Refused
        (400, nothing created) for an unknown group or firmware, an empty group, a device already in an
        unfinished rollout, or a target firmware without a reference policy unless ``force``."""
        rollout = await rollouts.create(request.user, data.request())
        return RolloutView.of_status(await rollouts.get(rollout.number))

    @get("/{rollout_id:int}", operation_id="getRollout", guards=READ)
    async def get_rollout(self, rollout_id: FromPath[RolloutId], rollouts: Rollouts) -> RolloutView:
        return RolloutView.of_status(await rollouts.get(rollout_id))

    @get("/{rollout_id:int}/devices", operation_id="listRolloutDevices", guards=READ)
    async def rollout_devices(
        self,
        rollout_id: FromPath[RolloutId],
        rollouts: Rollouts,
        phase: Annotated[int | None, QueryParameter(ge=0, le=100)] = None,
    ) -> TargetList:
        targets = await rollouts.targets(rollout_id, phase)
        return TargetList(rollout_id, [TargetView.of(t) for t in targets])

    @post("/{rollout_id:int}/pause", operation_id="pauseRollout", guards=WRITE, status_code=200)
    async def pause(self, rollout_id: FromPath[RolloutId], rollouts: Rollouts) -> RolloutView:
        await rollouts.pause(rollout_id)
        return RolloutView.of_status(await rollouts.get(rollout_id))

    @post("/{rollout_id:int}/resume", operation_id="resumeRollout", guards=WRITE, status_code=200)
    async def resume(self, rollout_id: FromPath[RolloutId], rollouts: Rollouts) -> RolloutView:
        await rollouts.resume(rollout_id)
        return RolloutView.of_status(await rollouts.get(rollout_id))

    @post("/{rollout_id:int}/cancel", operation_id="cancelRollout", guards=WRITE, status_code=200)
    async def cancel(self, rollout_id: FromPath[RolloutId], rollouts: Rollouts) -> RolloutView:
        await rollouts.cancel(rollout_id)
        return RolloutView.of_status(await rollouts.get(rollout_id))
