from __future__ import annotations

from typing import Protocol


class Signals(Protocol):
    """Wake-ups between requests in one process ("command 7 changed", "device X has work").

    Only a hint: waiters re-read the store, and poll it too, so several API workers stay correct.
    """

    def publish(self, topic: str) -> None: ...

    async def wait(self, topic: str, timeout: float) -> bool:
        """True when ``topic`` was published within ``timeout`` seconds."""
        ...
