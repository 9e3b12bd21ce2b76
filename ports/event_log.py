from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.measured_boot.eventlog import EventLogError
from domain.measured_boot.replay import Replay


class EventLogReplayer(Protocol):
    """Stateless, CPU-bound: parses and replays TCG event logs. One outcome per log, in input order:
    its Replay, or the EventLogError that makes it unreadable."""

    name: str

    def replay_batch(self, logs: Sequence[bytes]) -> list[Replay | EventLogError]: ...
