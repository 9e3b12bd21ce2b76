"""POST /api/v1/auth/login: people trade a user name and password for the API's bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.middleware.rate_limit import get_remote_address
from litestar.params import JSONBody
from msgspec import Meta, Struct

from adapters.observability.json_logs import request_id
from domain.access import ROLE_PERMISSIONS
from domain.services.sign_in import SignIn
from domain.users import PASSWORD_MAX, LoginThrottled
from entrypoints.http.errors import error_response


class LoginRequest(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Annotated[str, Meta(min_length=1, max_length=PASSWORD_MAX)]


class LoginAnswer(Struct):
    access_token: str
    token_type: str
    expires_in: int  # seconds
    expires_at: datetime
    subject: str
    role: str
    permissions: list[str]  # what the role may do, so a client shows only the controls it may use


class SignInController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", status_code=200, security=[])
    async def login(
        self, request: Request, data: JSONBody[LoginRequest], sign_in: NamedDependency[SignIn]
    ) -> Response[LoginAnswer]:
        """Wrong name or password: 401; disabled account: 403; five failures for one name from one address
        within five minutes: 429 with Retry-After. Every attempt is in the audit log (action ``login``)."""
        try:
            session = await sign_in.sign_in(
                data.username, data.password, get_remote_address(request), request_id.get()
            )
        except LoginThrottled as exc:
            return error_response(
                exc.message, exc.code, 429, exc.details, headers={"Retry-After": str(exc.retry_after)}
            )
        return Response(
            LoginAnswer(
                session.token,
                "bearer",
                session.expires_in,
                session.expires_at,
                session.subject,
                session.role.value,
                sorted(ROLE_PERMISSIONS[session.role]),
            ),
            headers={"Cache-Control": "no-store"},
        )
