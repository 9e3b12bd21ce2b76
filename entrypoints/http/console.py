"""The web console: static ES modules under /console/ plus the sign-in route they call first.

The console is a client of the public API and nothing else: pages fetch /api/v1/edge/* with the bearer
token sign-in returned, so every rule stays enforced by the server.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.controllers.sign_in import SignInController

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
# Scripts and styles only from files we serve (no inline script, no eval); the live stream is same-origin.
CONSOLE_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"cache-control", b"no-cache"),  # revalidate: a new release is never mixed with old modules
]


class ConsoleHeaders:
    """Sets the console's own policy; the app-wide security headers fill in only what is missing."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *CONSOLE_HEADERS]
            await send(message)

        await self._app(scope, receive, with_headers)


def console_routes(container) -> list[Router]:
    sign_in = container.services.sign_in
    return [
        Router(
            path="/",
            route_handlers=[SignInController],
            dependencies={"sign_in": Provide(lambda: sign_in(), sync_to_thread=False)},
        ),
        create_static_files_router(
            path="/console",
            directories=[CONSOLE_DIR],
            html_mode=True,
            name="console",
            middleware=[ConsoleHeaders],
        ),
    ]
