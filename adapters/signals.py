"""In-process Signals: asyncio events per topic, listeners by prefix. Alone it serves one worker; the
PostgreSQL channel (adapters/pg_signals.py) extends it to every worker of the fleet."""

from __future__ import annotations

import asyncio
import logging

from ports.signals import Listener

logger = logging.getLogger("edgefleet.signals")


class InProcessSignals:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._listeners: list[tuple[str, Listener]] = []

    @property
    def connected(self) -> bool:
        return True

    def publish(self, topic: str) -> None:
        self.deliver(topic)

    def deliver(self, topic: str) -> None:
        """Wake this process's waiters and listeners of ``topic``."""
        for event in self._waiters.get(topic, ()):
            event.set()
        for prefix, listener in self._listeners:
            if topic.startswith(prefix):
                self._call(listener, topic)

    def listen(self, prefix: str, listener: Listener) -> None:
        self._listeners.append((prefix, listener))

    def reset_listeners(self) -> None:
        """Messages may have been missed: every listener drops everything under its prefix."""
        for prefix, listener in self._listeners:
            self._call(listener, prefix)

    @staticmethod
    def _call(listener: Listener, topic: str) -> None:
        try:
            listener(topic)
        except Exception:  # one broken listener must not keep the others (or the publisher) from theirs
            logger.exception("signal listener failed on %s", topic)

    def waiting(self, topic: str) -> int:
        """How many callers in this process wait on ``topic`` now (lets a test act once a poll waits)."""
        return len(self._waiters.get(topic, ()))

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
