"""Housekeeping the background jobs run, and who may run the fleet-wide ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class MetricsMaintenance(Protocol):
    async def roll_up(self, now: datetime) -> None:
        """Fold closed minutes and hours of raw samples (late ones too) into the rollup tables."""
        ...

    async def apply_retention(self, now: datetime, raw_retention: timedelta) -> None:
        """Prepare the coming days' storage and drop what is past its retention."""
        ...


class Leadership(Protocol):
    """Fleet-wide jobs (sweeps, retention, rollups, re-attestation) run on one worker of the fleet."""

    async def holds(self) -> bool:
        """True while this worker is the one; asked before every round, so a worker takes over within
        a round of the holder's death."""
        ...

    async def release(self) -> None: ...
