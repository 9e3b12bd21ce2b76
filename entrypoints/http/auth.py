"""Bearer-token authentication for /api/v1/edge and permission guards per route."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from adapters.auth.jwt_tokens import InvalidToken, TokenService
from domain.access import Permission, Principal


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, tokens: TokenService, **kwargs) -> None:
        super().__init__(app, **kwargs)
        self._tokens = tokens

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            raise NotAuthorizedException("Missing Authorization header")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("Authorization header must be 'Bearer <token>'")
        try:
            principal = self._tokens.verify(token.strip())
        except InvalidToken as exc:
            raise NotAuthorizedException(str(exc)) from exc
        return AuthenticationResult(user=principal, auth=token)


def requires(permission: Permission):
    """Route guard: 403 FORBIDDEN unless the caller's role grants ``permission``."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # async: no thread hop
        principal: Principal = connection.user
        if not principal.may(permission):
            raise PermissionDeniedException(f"Role '{principal.role}' may not {permission.value}")

    guard.__name__ = f"requires_{permission.name.lower()}"
    return guard
