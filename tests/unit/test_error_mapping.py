"""Errors map to the API contract's body by exception class: every domain error to its own status and
code, Litestar's own as before, and anything unknown to 500 INTERNAL_ERROR, logged with the request id."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import httpx
import pytest
from litestar import Litestar, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.base import DefineMiddleware

import domain
from adapters.observability.prometheus import FleetMetrics
from domain.alerts import AlertNotFound
from domain.errors import Conflict, DeviceNotFound, DomainError, StoreUnavailable, ValidationFailed
from domain.users import LoginThrottled
from entrypoints.http.audit_trail import AuditTrail
from entrypoints.http.edge import EdgeMiddleware
from entrypoints.http.errors import DOMAIN_STATUS, domain_status, exception_to_http_response

# Every domain error class, one status each: a change here is a change of the API contract.
EXPECTED = {
    "ValidationFailed": (400, "VALIDATION_ERROR"),
    "InvalidCommand": (400, "INVALID_COMMAND"),
    "AttestationFailed": (400, "ATTESTATION_FAILED"),
    "EnrolmentRejected": (400, "ENROLMENT_REJECTED"),
    "UnsealFailed": (400, "UNSEAL_FAILED"),
    "InvalidCredentials": (401, "UNAUTHORIZED"),
    "EnrolmentTokenInvalid": (401, "UNAUTHORIZED"),
    "AccountDisabled": (403, "FORBIDDEN"),
    "CommandForbidden": (403, "FORBIDDEN"),
    "DeviceNotFound": (404, "DEVICE_NOT_FOUND"),
    "CommandNotFound": (404, "COMMAND_NOT_FOUND"),
    "PolicyNotFound": (404, "POLICY_NOT_FOUND"),
    "AlertNotFound": (404, "NOT_FOUND"),
    "UserNotFound": (404, "NOT_FOUND"),
    "GroupNotFound": (404, "NOT_FOUND"),
    "RolloutNotFound": (404, "NOT_FOUND"),
    "DeviceAlreadyExists": (409, "DEVICE_EXISTS"),
    "Conflict": (409, "CONFLICT"),
    "UserExists": (409, "CONFLICT"),
    "NotEnrolled": (409, "NOT_ENROLLED"),
    "LoginThrottled": (429, "RATE_LIMITED"),
    "TeeNotAvailable": (503, "TEE_NOT_AVAILABLE"),
    "DeviceUnreachable": (503, "DEVICE_UNREACHABLE"),
    "StoreUnavailable": (503, "SERVICE_UNAVAILABLE"),
}


def all_domain_errors() -> list[type[DomainError]]:
    for info in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(info.name)
    found, todo = [], [DomainError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [cls for cls in found if cls.__module__.startswith("domain.")]  # not this file's doubles


def test_every_domain_error_class_has_its_own_status():
    errors = all_domain_errors()
    assert {cls.__name__ for cls in errors} == set(EXPECTED)
    for cls in errors:
        assert (DOMAIN_STATUS[cls], cls.code) == EXPECTED[cls.__name__], cls


def test_a_subclass_takes_the_status_of_its_nearest_mapped_ancestor():
    class GoneDevice(DeviceNotFound):
        code = "DEVICE_GONE"

    assert domain_status(GoneDevice("edge-1")) == 404


class Unmapped(DomainError):
    code = "SOMETHING_NEW"


_raised: dict[str, Exception] = {}


@get("/raise", sync_to_thread=False)
def raise_it() -> None:
    raise _raised["it"]


@pytest.fixture
async def client():
    app = Litestar(
        route_handlers=[raise_it],
        middleware=[DefineMiddleware(EdgeMiddleware, metrics=FleetMetrics(), audit=AuditTrail(None, None))],
        exception_handlers={Exception: exception_to_http_response},
        logging_config=None,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def answer(client, exc: Exception, request_id: str = "req-1") -> httpx.Response:
    _raised["it"] = exc
    return await client.get("/raise", headers={"X-Request-ID": request_id})


@pytest.mark.parametrize(
    "exc",
    [
        ValidationFailed("bad"),
        DeviceNotFound("edge-1"),
        Conflict("busy"),
        AlertNotFound("alert-7"),
        LoginThrottled("slow down"),
    ],
)
async def test_a_domain_error_answers_its_status_and_code(client, exc):
    response = await answer(client, exc)
    assert response.status_code == DOMAIN_STATUS[type(exc)]
    assert response.json()["code"] == exc.code
    assert response.json()["status"] == response.status_code
    assert response.json()["error"] == exc.message


async def test_an_unreachable_store_answers_503_with_retry_after(client):
    response = await answer(client, StoreUnavailable("database down"))
    assert (response.status_code, response.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert response.headers["Retry-After"] == "5"


async def test_litestar_exceptions_keep_their_status(client):
    assert (await answer(client, NotAuthorizedException())).json()["code"] == "UNAUTHORIZED"
    response = await answer(client, PermissionDeniedException())
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    response = await client.get("/nowhere")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    response = await client.post("/raise")
    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("exc", [RuntimeError("secret detail"), KeyError("k"), Unmapped("never 400")])
async def test_an_unknown_error_answers_500_and_is_logged_with_the_request_id(client, caplog, exc):
    with caplog.at_level(logging.ERROR, logger="edgefleet.http"):
        response = await answer(client, exc, request_id="trace-me-42")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "code": "INTERNAL_ERROR", "status": 500}
    assert response.headers["X-Request-ID"] == "trace-me-42"
    [record] = [r for r in caplog.records if r.name == "edgefleet.http"]
    assert record.request_id == "trace-me-42"
    assert "trace-me-42" in record.getMessage()
    assert record.exc_info[1] is exc  # the traceback is in the log, not the body
    assert "Traceback" not in response.text and "secret" not in response.text
