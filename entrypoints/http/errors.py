"""One mapping from every error to the API contract's body: {"error": ..., "code": ..., "status": ...}.

Domain errors map by class (``DOMAIN_STATUS``), Litestar's by the status they carry, an unreachable
database to 503, and anything else to 500 ``INTERNAL_ERROR`` with the traceback in the log."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Struct
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.observability.json_logs import request_id
from domain.agents import EnrolmentTokenInvalid
from domain.alerts import AlertNotFound
from domain.attestation.enrolment import EnrolmentRejected
from domain.errors import (
    AttestationFailed,
    Conflict,
    DeviceAlreadyExists,
    DeviceNotFound,
    DeviceUnreachable,
    DomainError,
    InvalidCommand,
    StoreUnavailable,
    TeeNotAvailable,
    ValidationFailed,
)
from domain.groups import GroupNotFound
from domain.rollouts import RolloutNotFound
from domain.sealing.seal import NotEnrolled, UnsealFailed
from domain.services.commands import CommandForbidden, CommandNotFound
from domain.services.reference_policies import PolicyNotFound
from domain.users import AccountDisabled, InvalidCredentials, LoginThrottled, UserExists, UserNotFound

logger = logging.getLogger("edgefleet.http")

# The database cannot be reached: refused, reset or timed-out connections (asyncpg raises these bare),
# a file SQLite cannot open or a lock held past the busy timeout, an exhausted pool.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)
RETRY_AFTER_SECONDS = 5  # a restarting database is usually back within seconds

# Every domain error by class; a subclass takes the nearest entry up its MRO. The body's code is the
# class's own ``code``. A DomainError with no entry here is a bug: it answers 500, never a silent 400.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    InvalidCommand: 400,
    AttestationFailed: 400,
    EnrolmentRejected: 400,
    UnsealFailed: 400,
    InvalidCredentials: 401,
    EnrolmentTokenInvalid: 401,
    AccountDisabled: 403,
    CommandForbidden: 403,
    DeviceNotFound: 404,
    CommandNotFound: 404,
    PolicyNotFound: 404,
    AlertNotFound: 404,
    UserNotFound: 404,
    GroupNotFound: 404,
    RolloutNotFound: 404,
    DeviceAlreadyExists: 409,
    Conflict: 409,
    UserExists: 409,
    NotEnrolled: 409,
    LoginThrottled: 429,
    TeeNotAvailable: 503,
    DeviceUnreachable: 503,
    StoreUnavailable: 503,
}
# 503s that clients should back off from and retry (Retry-After); a missing TEE or an unreachable device
# does not come back by waiting.
RETRYABLE = (StoreUnavailable,)

HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def error_response(message: str, code: str, status: int, details=None, headers=None) -> Response:
    body = {"error": message, "code": code, "status": status}
    if details:
        body["details"] = details
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def database_down(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_DOWN) or isinstance(exc, DBAPIError) and exc.connection_invalidated


def unavailable_response(message: str = "Database unreachable; retry later") -> Response:
    """503 that clients and load balancers back off from and retry."""
    return error_response(
        message, "SERVICE_UNAVAILABLE", 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def domain_status(exc: DomainError) -> int | None:
    """The status of the nearest class up ``exc``'s MRO that has one, None when none has."""
    return next((DOMAIN_STATUS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_STATUS), None)


def exception_to_http_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DomainError) and (status := domain_status(exc)) is not None:
        if isinstance(exc, RETRYABLE):
            return unavailable_response(exc.message)
        return error_response(exc.message, exc.code, status, exc.details or None)
    if database_down(exc):
        logger.warning(
            "database unreachable on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return unavailable_response()
    if isinstance(exc, HTTPException):
        status = exc.status_code
        code = HTTP_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
        if status >= 500 and "disconnected" in str(exc.detail):
            logger.info("client went away during %s %s", request.method, request.url.path)
        elif status >= 500:
            _log_server_error(request, exc, exc.detail)
        headers = dict(exc.headers or {})
        if status == 429 and "RateLimit-Reset" in headers:
            headers["Retry-After"] = headers["RateLimit-Reset"]  # seconds until the window frees up
        return error_response(_message(exc), code, status, exc.extra or None, headers or None)
    _log_server_error(request, exc, f"unhandled {type(exc).__name__}")
    return error_response("Internal server error", "INTERNAL_ERROR", 500)


def _log_server_error(request: Request, exc: BaseException, what: str) -> None:
    """The traceback goes to the log with the request id (also in X-Request-ID), never into the body."""
    rid = request_id.get()
    logger.error(
        "server error on %s %s (request %s): %s",
        request.method,
        request.url.path,
        rid,
        what,
        exc_info=exc,
        extra={"request_id": rid},
    )


def _message(exc: HTTPException) -> str:
    if exc.status_code == 404 and exc.detail in ("Not Found", ""):
        return "Resource not found"
    return exc.detail


class ErrorBody(Struct):
    """Every error answer: the API contract's three keys, sometimes ``details``."""

    error: str
    code: str
    status: int
    details: Any = None


ERROR_STATUSES = {
    400: "Bad input",
    401: "Missing or invalid credentials",
    403: "Role or device may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    429: "Rate limited (see Retry-After)",
    500: "Internal error",
    503: "Dependency unavailable",
}


def document_errors(app) -> None:
    """Describe the real error body in the OpenAPI document for every operation (Litestar would otherwise
    advertise its own validation-error shape, which this API never sends)."""
    specs = {
        status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
        for status, text in ERROR_STATUSES.items()
    }
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            handler.responses = {**specs, **(handler.responses or {})}
