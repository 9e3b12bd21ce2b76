"""A WebSocket client for the real ASGI app on the test's own event loop (no server, no portal thread)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class WebSocketSession:
    def __init__(
        self, app, path: str, headers: dict[str, str] | None = None, params: dict | None = None
    ) -> None:
        self._scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "ws",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(params or {}).encode(),
            "subprotocols": [],
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        }
        self._app = app
        self._to_app: asyncio.Queue = asyncio.Queue()
        self._from_app: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> WebSocketSession:
        self._task = asyncio.create_task(self._app(self._scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "websocket.connect"})
        message = await asyncio.wait_for(self._from_app.get(), 5)
        if message["type"] != "websocket.accept":
            raise Closed(message.get("code", 0))
        return self

    async def receive_json(self, timeout: float = 5.0) -> dict:
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        if message["type"] == "websocket.close":
            raise Closed(message["code"])
        return json.loads(message.get("text") or message["bytes"])

    async def __aexit__(self, *exc_info) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self._task, 5)
