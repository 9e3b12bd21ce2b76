"""Attestation endpoints (API contract) and reference policies."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from domain.access import Permission
from domain.attestation.policy import PolicyScope
from domain.services.attestation import AttestationService
from domain.services.reference_policies import ReferencePolicies
from entrypoints.http.auth import requires
from entrypoints.http.schemas.attestation import (
    AttestationStatus,
    EventPolicyView,
    PolicyBody,
    PolicyList,
    PolicyView,
)

Attestation = NamedDependency[AttestationService]
Policies = NamedDependency[ReferencePolicies]


class AttestationController(Controller):
    path = "/devices/{device_id:str}/attestation"
    tags = ["attestation"]

    @get("/", operation_id="getAttestation", guards=[requires(Permission.ATTESTATION_READ)])
    async def latest(self, device_id: FromPath[str], attestation: Attestation) -> AttestationStatus:
        """The latest verdict (``attestation_status: unknown`` before the first one)."""
        return AttestationStatus.of(device_id, await attestation.latest(device_id))

    @post(
        "/verify",
        operation_id="verifyAttestation",
        guards=[requires(Permission.ATTESTATION_VERIFY)],
        status_code=200,
    )
    async def verify(self, device_id: FromPath[str], attestation: Attestation) -> AttestationStatus:
        """Challenge the device with a fresh nonce, verify its quote, store and return the verdict.
        A failed verdict is still 200 (``attestation_status: failed`` with ``reasons``); a device
        without TPM is 400 ATTESTATION_FAILED, one that does not answer 503."""
        return AttestationStatus.of(device_id, await attestation.verify_device(device_id))

    @post(
        "/learn-events",
        operation_id="learnEventPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
        status_code=200,
    )
    async def learn_events(
        self, device_id: FromPath[str], attestation: Attestation, model: FromQuery[bool] = False
    ) -> EventPolicyView:
        """Quote a known-good device with its boot event log and store the event policy its log passes:
        the device's own, or (``model=true``) its model + firmware version's."""
        return EventPolicyView.of(await attestation.learn_event_policy(device_id, model_scope=model))

    @post(
        "/trust",
        operation_id="trustCurrentValues",
        guards=[requires(Permission.POLICIES_WRITE)],
        status_code=200,
    )
    async def trust(self, device_id: FromPath[str], attestation: Attestation) -> PolicyView:
        """Quote a known-good device and store its current PCR values as its reference policy."""
        return PolicyView.of(await attestation.trust_current_values(device_id))


class PolicyController(Controller):
    path = "/policies"
    tags = ["policies"]

    @get("/", operation_id="listPolicies", guards=[requires(Permission.POLICIES_READ)])
    async def list_policies(self, policies: Policies) -> PolicyList:
        return PolicyList([PolicyView.of(p) for p in await policies.list_policies()])

    @get(
        "/devices/{device_id:str}",
        operation_id="getDevicePolicy",
        guards=[requires(Permission.POLICIES_READ)],
    )
    async def get_device_policy(self, device_id: FromPath[str], policies: Policies) -> PolicyView:
        return PolicyView.of(await policies.get_policy(PolicyScope.for_device(device_id)))

    @put(
        "/devices/{device_id:str}",
        operation_id="putDevicePolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def put_device_policy(
        self, device_id: FromPath[str], data: JSONBody[PolicyBody], policies: Policies
    ) -> PolicyView:
        values, bank = data.parsed()
        return PolicyView.of(await policies.set_policy(PolicyScope.for_device(device_id), values, bank))

    @delete(
        "/devices/{device_id:str}",
        operation_id="deleteDevicePolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def delete_device_policy(self, device_id: FromPath[str], policies: Policies) -> None:
        await policies.delete_policy(PolicyScope.for_device(device_id))

    @get(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="getModelPolicy",
        guards=[requires(Permission.POLICIES_READ)],
    )
    async def get_model_policy(
        self, model: FromPath[str], firmware_version: FromPath[str], policies: Policies
    ) -> PolicyView:
        return PolicyView.of(await policies.get_policy(PolicyScope.for_model(model, firmware_version)))

    @put(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="putModelPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def put_model_policy(
        self,
        model: FromPath[str],
        firmware_version: FromPath[str],
        data: JSONBody[PolicyBody],
        policies: Policies,
    ) -> PolicyView:
        values, bank = data.parsed()
        return PolicyView.of(
            await policies.set_policy(PolicyScope.for_model(model, firmware_version), values, bank)
        )

    @delete(
        "/models/{model:str}/{firmware_version:str}",
        operation_id="deleteModelPolicy",
        guards=[requires(Permission.POLICIES_WRITE)],
    )
    async def delete_model_policy(
        self, model: FromPath[str], firmware_version: FromPath[str], policies: Policies
    ) -> None:
        await policies.delete_policy(PolicyScope.for_model(model, firmware_version))
