"""Counters an agent keeps about itself, shown by ``status`` and summed up by the simulator."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

LATENCY_WINDOW = 10_000


@dataclass
class AgentStats:
    heartbeats_acked: int = 0
    heartbeat_failures: int = 0
    samples_accepted: int = 0
    samples_dropped: int = 0  # evicted from the buffer or refused by the server
    quotes_sent: int = 0
    commands: Counter = field(default_factory=Counter)  # final status -> count
    heartbeat_latency_s: deque = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def as_dict(self) -> dict:
        return {
            "heartbeats_acked": self.heartbeats_acked,
            "heartbeat_failures": self.heartbeat_failures,
            "samples_accepted": self.samples_accepted,
            "samples_dropped": self.samples_dropped,
            "quotes_sent": self.quotes_sent,
            "commands": dict(self.commands),
        }


def percentile(values, fraction: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
