"""Reconnect delays: exponential backoff with full jitter.

Full jitter (a uniform draw between 0 and the exponential ceiling) keeps a fleet that lost its
server at the same moment from reconnecting in synchronised waves when it comes back.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base, self.cap = base, cap
        self.attempts = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """The largest delay the next attempt may draw."""
        return min(self.cap, self.base * 2 ** min(self.attempts, 32))  # the clamp avoids float overflow

    def next_delay(self) -> float:
        delay = self._rng.uniform(0, self.ceiling())
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
