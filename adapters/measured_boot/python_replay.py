"""The pure-Python reference replayer (ports.event_log.EventLogReplayer): one log at a time."""

from __future__ import annotations

from collections.abc import Sequence

from domain.measured_boot.eventlog import EventLogError
from domain.measured_boot.replay import Replay, replay_many


class PythonEventLogReplayer:
    name = "python"

    def replay_batch(self, logs: Sequence[bytes]) -> list[Replay | EventLogError]:
        return replay_many(logs)
