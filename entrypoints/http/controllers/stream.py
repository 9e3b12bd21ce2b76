"""Live updates over a WebSocket: /api/v1/edge/stream.

Authenticates with the same bearer token as the REST API: the Authorization header, or for browsers,
which cannot set headers on a WebSocket, the subprotocols ``edgefleet.bearer, <token>`` (what the console
does: the token stays out of URLs) or ``?token=`` (prefer short-lived tokens there: URLs end up in logs).
A client receives, in publication order, the event types its role may read over REST:
device_status (devices:read), alert (alerts:read), command (commands:read), attestation (attestation:read).
Bad tokens get an error message and close code 4401. What clients send is ignored.
"""

from __future__ import annotations

import asyncio

from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from adapters.auth.jwt_tokens import InvalidToken, TokenService
from adapters.live_stream import LiveStream, Subscription
from domain.access import Permission, Principal
from domain.alerts import AlertChanged
from domain.events import AttestationRecorded, CommandChanged, DeviceStatusChanged, Event, RolloutChanged
from entrypoints.http.schemas.stream import ErrorMessage, Hello, encode, message_for

CLOSE_UNAUTHORIZED = 4401
BEARER_PROTOCOL = "edgefleet.bearer"
STREAMED = {  # message type -> (event class, permission to see it)
    "device_status": (DeviceStatusChanged, Permission.DEVICES_READ),
    "alert": (AlertChanged, Permission.ALERTS_READ),
    "command": (CommandChanged, Permission.COMMANDS_READ),
    "attestation": (AttestationRecorded, Permission.ATTESTATION_READ),
    "rollout": (RolloutChanged, Permission.ROLLOUTS_READ),
}


def visible_types(principal: Principal) -> list[str]:
    return [name for name, (_, permission) in STREAMED.items() if principal.may(permission)]


def _protocol_token(socket: WebSocket) -> str:
    offered = [p.strip() for p in socket.headers.get("sec-websocket-protocol", "").split(",")]
    return offered[1] if len(offered) == 2 and offered[0] == BEARER_PROTOCOL else ""


def _principal(socket: WebSocket, tokens: TokenService) -> Principal:
    header = socket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if header and scheme.lower() != "bearer":
        raise InvalidToken("Authorization header must be 'Bearer <token>'")
    token = token.strip() or _protocol_token(socket) or socket.query_params.get("token", "")
    if not token:
        raise InvalidToken("Missing bearer token (Authorization header or ?token=)")
    return tokens.verify(token)


async def _forward(socket: WebSocket, subscription: Subscription) -> None:
    while True:
        await socket.send_data(encode(message_for(await subscription.next())))


async def _until_closed(socket: WebSocket) -> None:
    while True:
        await socket.receive_data("text")  # raises WebSocketDisconnect when the client leaves


@websocket("/stream", name="liveStream", opt={"exclude_from_auth": True})
async def stream_events(
    socket: WebSocket, live_stream: NamedDependency[LiveStream], tokens: NamedDependency[TokenService]
) -> None:
    await socket.accept(subprotocols=BEARER_PROTOCOL if _protocol_token(socket) else None)
    try:
        principal = _principal(socket, tokens)
    except InvalidToken as exc:
        await socket.send_data(encode(ErrorMessage(str(exc), "UNAUTHORIZED", 401)))
        await socket.close(CLOSE_UNAUTHORIZED, "unauthorized")
        return
    types = visible_types(principal)
    kinds = tuple(STREAMED[name][0] for name in types)

    def accepts(event: Event) -> bool:
        return isinstance(event, kinds)

    with live_stream.subscribe(accepts) as subscription:
        await socket.send_data(encode(Hello(principal.role.value, types)))
        tasks = [
            asyncio.create_task(_forward(socket, subscription)),
            asyncio.create_task(_until_closed(socket)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception) and not isinstance(r, WebSocketDisconnect)]
    if failures:
        raise failures[0]
