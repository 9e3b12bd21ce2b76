"""Attest N in-process simulated devices end to end (nonce, quote, batch verification, verdicts) with
in-memory stores: a demo of the pipeline and a way to measure it without a server."""

from __future__ import annotations

import time

from rich.console import Console

from domain.services.attestation import AttestationService
from entrypoints.attest.report import Tally, elapsed_since, progress


async def attest_simulated(
    service: AttestationService, device_ids: list[str], console: Console
) -> tuple[Tally, float]:
    bar, task = progress(console, len(device_ids))
    started = time.perf_counter()
    with bar:
        report = await service.verify_many(
            device_ids, on_progress=lambda done, total: bar.update(task, completed=done)
        )
    tally = Tally()
    for verdict in report.verdicts:
        tally.add(verdict.status.value, verdict.reasons)
    for _ in report.unreachable:
        tally.add("unreachable")
    for _ in report.skipped:
        tally.add("error")
    return tally, elapsed_since(started)
