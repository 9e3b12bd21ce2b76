"""Heartbeats: sample the platform every interval, send what is buffered, back off while unreachable."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from adapters.agent_client import AgentApiError, AgentClient, ServerUnavailable
from adapters.clock import SystemClock
from entrypoints.agent.backoff import Backoff
from entrypoints.agent.buffer import SampleBuffer
from entrypoints.agent.handlers import Call, direct
from entrypoints.agent.stats import AgentStats
from ports.clock import Clock
from ports.platform import PlatformMetrics, PlatformProbe

log = logging.getLogger("edgefleet.agent")
PERCENTAGES = ("cpu_usage", "memory_usage", "ai_core_usage")
FIGURES = ("temperature", "uptime_seconds", "npu_memory_used_mb", "power_w")
FACTS_EVERY = 10  # samples between two reads of the device's facts (npu-smi is slow on Atlas)


class CredentialRejected(Exception):
    """The server no longer accepts this device's credential (revoked, decommissioned)."""


def to_sample(metrics: PlatformMetrics, at: datetime) -> dict:
    # Percentages are clamped: one odd reading must not make the server refuse a batch of 100.
    sample: dict[str, Any] = {"timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z")}
    for name in PERCENTAGES:
        value = getattr(metrics, name)
        sample[name] = None if value is None else min(100.0, max(0.0, float(value)))
    for name in FIGURES:
        value = getattr(metrics, name)
        sample[name] = None if value is None or value < 0 else value
    return sample


class HeartbeatLoop:
    def __init__(
        self,
        client: AgentClient,
        probe: PlatformProbe,
        buffer: SampleBuffer,
        interval: float,
        *,
        stats: AgentStats,
        backoff: Backoff,
        call: Call = direct,
        facts: Callable[[], Awaitable[dict]] | None = None,
        facts_every: int = FACTS_EVERY,
        clock: Clock | None = None,
    ) -> None:
        """``facts`` reads the device's facts: on start and every ``facts_every`` samples; a heartbeat
        carries them only when they differ from the last ones the server accepted. ``clock`` stamps
        the samples."""
        self.client, self.probe, self.buffer, self.interval = client, probe, buffer, interval
        self._clock = clock or SystemClock()
        self.stats, self.backoff, self._call = stats, backoff, call
        self._wake = asyncio.Event()
        self._read_facts, self._facts_every, self._samples = facts, max(1, facts_every), 0
        self._facts: dict | None = None  # latest read
        self._facts_sent: dict | None = None  # latest the server accepted (or refused: not resent)

    async def refresh_facts(self) -> None:
        if self._read_facts is None:
            return
        try:
            self._facts = await self._read_facts()
        except Exception:  # noqa: BLE001 - unreadable facts must not stop the heartbeat
            log.exception("reading device facts failed; keeping the previous ones")

    def facts_changed(self) -> None:
        """Read the facts again at the next sample (after an update, not ten samples later)."""
        self._samples = 0

    def facts_to_send(self) -> dict | None:
        return self._facts if self._facts is not None and self._facts != self._facts_sent else None

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self.sample_forever())
            group.create_task(self.send_forever())

    async def sample_once(self) -> None:
        if self._samples % self._facts_every == 0:
            await self.refresh_facts()
        self._samples += 1
        try:
            metrics = await self._call(self.probe.metrics)
        except Exception:  # noqa: BLE001 - a failing sensor must not stop the heartbeat
            log.exception("reading metrics failed; skipping this sample")
            return
        before = self.buffer.dropped_total
        self.buffer.add(to_sample(metrics, self._clock.now()))
        self.stats.samples_dropped += self.buffer.dropped_total - before
        self._wake.set()

    async def sample_forever(self) -> None:
        while True:
            await self.sample_once()
            await asyncio.sleep(self.interval)

    async def send_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Send every buffered sample, oldest first, waiting out outages with backoff."""
        suspect = None  # (facts, facts sent before) while a refused batch is retried without its facts
        while (batch := self.buffer.batch()) is not None:
            started, facts = time.perf_counter(), self.facts_to_send()
            try:
                ack = await self.client.heartbeat(batch.samples, batch.dropped, facts)
            except ServerUnavailable as exc:
                self.stats.heartbeat_failures += 1
                delay = self.backoff.next_delay()
                log.warning(
                    "heartbeat failed (%s); %d samples buffered, retrying in %.1f s",
                    exc,
                    len(self.buffer),
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            except AgentApiError as exc:
                if exc.status in (401, 403):
                    raise CredentialRejected(exc.message) from exc
                if facts is not None:  # maybe the facts were refused: retry the samples without them
                    suspect, self._facts_sent = (facts, self._facts_sent), facts
                    log.error("server refused the device facts or samples: %s", exc)
                    continue
                if suspect is not None:  # refused without the facts too: the samples were at fault
                    self._facts_sent, suspect = suspect[1], None
                before = self.buffer.dropped_total
                self.buffer.discard(batch)  # retrying a refused batch would block the ones after it
                self.stats.samples_dropped += self.buffer.dropped_total - before
                log.error("server refused %d samples: %s", len(batch.samples), exc)
                continue
            self.stats.heartbeat_latency_s.append(time.perf_counter() - started)
            self.buffer.acknowledge(batch)
            suspect = None
            if facts is not None:
                self._facts_sent = facts
            self.backoff.reset()
            self.stats.heartbeats_acked += 1
            self.stats.samples_accepted += int(ack.get("accepted", len(batch.samples)))
