"""Edge hardening: rate limits for the device and enrolment paths, and security headers on every answer."""

from __future__ import annotations

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.types import Scope

from domain.agents import split_credential

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
]
# The API serves data, never pages, so nothing may run; the docs UI under /schema needs its own scripts.
API_ONLY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]


def _device_or_address(request: Request) -> str:
    """Agents behind one NAT share an address, so each device is limited on its own credential's id."""
    scheme, _, credential = (request.headers.get("authorization") or "").partition(" ")
    parts = split_credential(credential) if scheme.lower() == "bearer" else None
    if parts is not None:
        return "device:" + parts[0][:64]
    return "address:" + get_remote_address(request)


def agent_rate_limit(per_minute: int) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", per_minute), identifier_for_request=_device_or_address, store="rate_limit_agent"
    )


def enrol_rate_limit(per_minute: int) -> RateLimitConfig:
    return RateLimitConfig(rate_limit=("minute", per_minute), store="rate_limit_enrol")


def has_nul(scope: Scope) -> bool:
    """NUL never belongs in a path or query, and PostgreSQL text cannot even hold it."""
    raw = scope.get("raw_path") or scope["path"].encode()
    return (
        b"%00" in raw or b"\x00" in raw or b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]
    )
