"""Event-based reference policies (measured boot), beside the PCR-value policies of /policies."""

from __future__ import annotations

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from domain.access import Permission
from domain.attestation.policy import PolicyScope
from domain.services.event_policies import EventPolicies
from entrypoints.http.auth import requires
from entrypoints.http.schemas.attestation import EventPolicyBody, EventPolicyList, EventPolicyView

Policies = NamedDependency[EventPolicies]


class EventPolicyController(Controller):
    path = "/policies/events"
    tags = ["policies"]

    @get("/", operation_id="listEventPolicies", guards=[requires(Permission.POLICIES_READ)])
    async def list_policies(self, event_policies: Policies) -> EventPolicyList:
        return EventPolicyList([EventPolicyView.of(p) for p in await event_policies.list_policies()])

    @get(
        "/devices/{device_id:str}",
        operation_id="getDeviceEventPolicy",
        guards=[requires(Permission.POLICIES_READ)],
    )
    async def get_device_policy(self, device_id: FromPath[str], event_policies: Policies) -> EventPolicyView:
        return EventPolicyView.of(await event_policies.get_policy(PolicyScope.for_device(device_id)))

    @put(
        "/devices/{device_id:str}",
        operation_id="putDeviceEventPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def put_device_policy(
        self, device_id: FromPath[str], data: JSONBody[EventPolicyBody], event_policies: Policies
    ) -> EventPolicyView:
        """A device's own event policy (it wins over its model + firmware one)."""
        return EventPolicyView.of(
            await event_policies.set_policy(PolicyScope.for_device(device_id), data.document())
        )

    @delete(
        "/devices/{device_id:str}",
        operation_id="deleteDeviceEventPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def delete_device_policy(self, device_id: FromPath[str], event_policies: Policies) -> None:
        await event_policies.delete_policy(PolicyScope.for_device(device_id))

    @get(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="getModelEventPolicy",
        guards=[requires(Permission.POLICIES_READ)],
    )
    async def get_model_policy(
        self, model: FromPath[str], firmware_version: FromPath[str], event_policies: Policies
    ) -> EventPolicyView:
        return EventPolicyView.of(
            await event_policies.get_policy(PolicyScope.for_model(model, firmware_version))
        )

    @put(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="putModelEventPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def put_model_policy(
        self,
        model: FromPath[str],
        firmware_version: FromPath[str],
        data: JSONBody[EventPolicyBody],
        event_policies: Policies,
    ) -> EventPolicyView:
        scope = PolicyScope.for_model(model, firmware_version)
        return EventPolicyView.of(await event_policies.set_policy(scope, data.document()))

    @delete(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="deleteModelEventPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def delete_model_policy(
        self, model: FromPath[str], firmware_version: FromPath[str], event_policies: Policies
    ) -> None:
        await event_policies.delete_policy(PolicyScope.for_model(model, firmware_version))
