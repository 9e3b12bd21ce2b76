"""What every ``edgefleet attest`` mode reports: a running tally (constant memory however many quotes),
a progress bar and the summary table."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

STATUSES = ("success", "failed", "unreachable", "error")  # error: the device cannot be attested at all


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)  # of failed quotes

    def add(self, status: str, reasons: list[str] | tuple[str, ...] = ()) -> None:
        self.statuses[status] += 1
        if status == "failed":
            self.reasons.update(reasons)

    @property
    def total(self) -> int:
        return self.statuses.total()

    @property
    def all_succeeded(self) -> bool:
        return self.total > 0 and self.statuses["success"] == self.total


def print_summary(tally: Tally, seconds: float, console: Console) -> None:
    statuses = tally.statuses
    table = Table(title="attestation summary", show_header=False)
    table.add_row("verified", str(statuses["success"]))
    table.add_row("failed", str(statuses["failed"]))
    for reason, count in tally.reasons.most_common():
        table.add_row(f"  {reason}", str(count))
    table.add_row("unreachable", str(statuses["unreachable"]))
    if statuses["error"]:
        table.add_row("not attestable", str(statuses["error"]))
    table.add_row("duration", f"{seconds:.2f} s")
    table.add_row(
        "quotes/s", f"{(statuses['success'] + statuses['failed']) / seconds:,.0f}" if seconds else "-"
    )
    console.print(table)


def progress(console: Console, total: int, what: str = "attesting") -> tuple[Progress, TaskID]:
    bar = Progress(console=console, transient=False)
    return bar, bar.add_task(what, total=total)


def elapsed_since(started: float) -> float:
    return max(time.perf_counter() - started, 1e-9)
