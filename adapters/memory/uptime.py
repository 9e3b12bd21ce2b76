"""In-memory online spans, for unit tests of the uptime use cases."""

from __future__ import annotations

from datetime import datetime

from domain.uptime import OnlineSpan


class InMemoryUptimeLedger:
    def __init__(self) -> None:
        self.spans_by_device: dict[str, list[OnlineSpan]] = {}
        self.devices: dict[str, datetime | None] = {}  # seen, not decommissioned: registration time

    async def went_online(self, device_id: str, at: datetime) -> None:
        spans = self.spans_by_device.setdefault(device_id, [])
        if not spans or spans[-1].ended_at is not None:
            spans.append(OnlineSpan(at))

    async def went_offline(self, device_id: str, at: datetime) -> None:
        spans = self.spans_by_device.get(device_id, [])
        if spans and spans[-1].ended_at is None:
            spans[-1] = OnlineSpan(spans[-1].started_at, at)

    async def spans(self, device_id: str, since: datetime) -> list[OnlineSpan]:
        return [
            s for s in self.spans_by_device.get(device_id, []) if s.ended_at is None or s.ended_at > since
        ]

    async def fleet_spans(self, since: datetime) -> list[tuple[datetime | None, list[OnlineSpan]]]:
        return [
            (registered, await self.spans(device_id, since)) for device_id, registered in self.devices.items()
        ]
