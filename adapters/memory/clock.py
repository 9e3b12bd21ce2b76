"""The one fake clock, for every test that needs time to pass (none sleeps for it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A ``ports.clock.Clock`` that stands still until a test moves it: ``advance(seconds=61)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 10, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move on by ``timedelta(**delta)`` and return the new now."""
        self._now += timedelta(**delta)
        return self._now
