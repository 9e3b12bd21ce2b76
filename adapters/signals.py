"""In-process Signals: asyncio events per topic. Several workers still agree through store polling."""
from __future__ import annotations

import asyncio


class InProcessSignals:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def publish(self, topic: str) -> None:
        for event in self._waiters.get(topic, ()):
            event.set()

    async def wait(self, topic: str, timeout: float) -> bool:
        event = asyncio.Event()
        self._waiters.setdefault(topic, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(topic)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[topic]
