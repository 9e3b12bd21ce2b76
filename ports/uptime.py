"""Where the spans a device was online are kept (one open span per reachable device)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.uptime import OnlineSpan


class UptimeLedger(Protocol):
    async def went_online(self, device_id: str, at: datetime) -> None:
        """Open a span at ``at`` unless the device has an open one."""
        ...

    async def went_offline(self, device_id: str, at: datetime) -> None:
        """Close the device's open span(s) at ``at``."""
        ...

    async def spans(self, device_id: str, since: datetime) -> list[OnlineSpan]:
        """The device's spans still open or ended after ``since``."""
        ...

    async def fleet_spans(self, since: datetime) -> list[tuple[datetime | None, list[OnlineSpan]]]:
        """Per device in the fleet (not decommissioned) that was ever seen: its registration time and
        its spans still open or ended after ``since`` (possibly none)."""
        ...
