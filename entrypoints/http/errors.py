"""One mapping from every error to the API contract's body: {"error": ..., "code": ..., "status": ...}."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Struct
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.errors import DomainError

logger = logging.getLogger("edgefleet.http")

# The database cannot be reached: refused, reset or timed-out connections (asyncpg raises these bare),
# a file SQLite cannot open or a lock held past the busy timeout, an exhausted pool.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)
RETRY_AFTER_SECONDS = 5  # a restarting database is usually back within seconds

DOMAIN_STATUS = {
    "VALIDATION_ERROR": 400,
    "INVALID_COMMAND": 400,
    "ATTESTATION_FAILED": 400,
    "ENROLMENT_REJECTED": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "DEVICE_NOT_FOUND": 404,
    "COMMAND_NOT_FOUND": 404,
    "POLICY_NOT_FOUND": 404,
    "NOT_FOUND": 404,
    "RATE_LIMITED": 429,
    "DEVICE_EXISTS": 409,
    "CONFLICT": 409,
    "NOT_ENROLLED": 409,
    "TEE_NOT_AVAILABLE": 503,
    "DEVICE_UNREACHABLE": 503,
    "SERVICE_UNAVAILABLE": 503,
}

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


def exception_to_http_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DomainError):
        if exc.code == "SERVICE_UNAVAILABLE":
            return unavailable_response(exc.message)
        return error_response(exc.message, exc.code, DOMAIN_STATUS.get(exc.code, 400), exc.details or None)
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
            logger.error(
                "server error on %s %s: %s", request.method, request.url.path, exc.detail, exc_info=exc
            )
        headers = dict(exc.headers or {})
        if status == 429 and "RateLimit-Reset" in headers:
            headers["Retry-After"] = headers["RateLimit-Reset"]  # seconds until the window frees up
        return error_response(_message(exc), code, status, exc.extra or None, headers or None)
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response("Internal server error", "INTERNAL_ERROR", 500)


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
