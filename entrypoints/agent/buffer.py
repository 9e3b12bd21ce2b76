"""Heartbeat samples waiting to be sent: bounded, oldest dropped first, drops counted.

Sampling and sending run concurrently, so samples carry sequence numbers: an acknowledgement removes
exactly what was sent even if newer samples pushed older ones out in the meantime.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MAX_BATCH = 100  # the server takes at most 100 samples per heartbeat


@dataclass(frozen=True)
class Batch:
    samples: list[dict]
    last_seq: int
    dropped: int  # samples discarded since the last acknowledged heartbeat


class SampleBuffer:
    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError("the buffer holds at least one sample")
        self.capacity = capacity
        self._items: deque[tuple[int, dict]] = deque()
        self._seq = 0
        self.dropped = 0  # not yet reported to the server
        self.dropped_total = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, sample: dict) -> None:
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self.dropped += 1
            self.dropped_total += 1
        self._seq += 1
        self._items.append((self._seq, sample))

    def batch(self, size: int = MAX_BATCH) -> Batch | None:
        """The oldest ``size`` samples, or None when empty; they stay buffered until acknowledged."""
        if not self._items:
            return None
        taken = [self._items[i] for i in range(min(size, len(self._items)))]
        return Batch([sample for _, sample in taken], taken[-1][0], self.dropped)

    def acknowledge(self, batch: Batch) -> None:
        while self._items and self._items[0][0] <= batch.last_seq:
            self._items.popleft()
        # Drops that happened while the batch was in flight are still owed to the next heartbeat.
        self.dropped -= min(batch.dropped, self.dropped)

    def discard(self, batch: Batch) -> None:
        """The server refused the batch for good: count its samples as dropped and move on."""
        before = len(self._items)
        self.acknowledge(Batch([], batch.last_seq, 0))
        lost = before - len(self._items)
        self.dropped += lost
        self.dropped_total += lost
