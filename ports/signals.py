from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# Called with the topic published; called with the bare prefix when the channel was lost and
# messages may have been missed, so a cache drops everything under it.
Listener = Callable[[str], None]


class Signals(Protocol):
    """Wake-ups and invalidations between requests, on every API worker of the fleet: "command 7
    changed", "device X has work", "forget device X's cached credential".

    Only a hint: waiters re-read the store, and poll it too, so a lost message delays, never breaks.
    """

    def publish(self, topic: str) -> None:
        """Reach waiters and listeners of ``topic`` here at once, and on the other workers."""
        ...

    async def wait(self, topic: str, timeout: float) -> bool:
        """True when ``topic`` was published within ``timeout`` seconds."""
        ...

    def listen(self, prefix: str, listener: Listener) -> None:
        """Call ``listener`` for every topic published under ``prefix``, on every worker (this one too)."""
        ...

    @property
    def connected(self) -> bool:
        """False while the channel to the other workers is down (health says degraded)."""
        ...
