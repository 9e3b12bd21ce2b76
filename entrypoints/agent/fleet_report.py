"""What a simulated fleet did: per-device outcomes and fleet-wide totals, logged and summarised."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from entrypoints.agent.stats import percentile

log = logging.getLogger("edgefleet.simulate")


class FleetReport:
    def __init__(self, devices: list) -> None:
        self.devices = devices  # SimulatedDevice: .agent, .anomaly, .outcome

    def totals(self) -> dict:
        stats = [d.agent.stats for d in self.devices]
        latencies = [s for st in stats for s in st.heartbeat_latency_s]
        commands: Counter = Counter()
        for st in stats:
            commands.update(st.commands)
        return {
            "devices": len(self.devices),
            "enrolled": sum(1 for d in self.devices if d.agent.state.credential),
            "outcomes": dict(Counter(d.outcome.split(":")[0] for d in self.devices)),
            "heartbeats_acked": sum(st.heartbeats_acked for st in stats),
            "heartbeat_failures": sum(st.heartbeat_failures for st in stats),
            "samples_accepted": sum(st.samples_accepted for st in stats),
            "samples_dropped": sum(st.samples_dropped for st in stats),
            "samples_buffered": sum(len(d.agent.buffer) for d in self.devices),
            "quotes_sent": sum(st.quotes_sent for st in stats),
            "commands": dict(commands),
            "heartbeat_p50_ms": _ms(percentile(latencies, 0.50)),
            "heartbeat_p99_ms": _ms(percentile(latencies, 0.99)),
            "anomalies": {d.agent.identity.device_id: d.anomaly for d in self.devices if d.anomaly},
        }

    async def log_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            t = self.totals()
            log.info(
                "fleet: %d/%d enrolled, %d heartbeats (%d samples) acked, %d failed, p99 %s ms, "
                "%d quotes, commands %s",
                t["enrolled"],
                t["devices"],
                t["heartbeats_acked"],
                t["samples_accepted"],
                t["heartbeat_failures"],
                t["heartbeat_p99_ms"],
                t["quotes_sent"],
                t["commands"] or "none",
            )

    def failures(self) -> dict[str, str]:
        return {d.agent.identity.device_id: d.outcome for d in self.devices if d.outcome.startswith("failed")}

    def render(self) -> str:
        t = self.totals()
        lines = [f"{key:>20}: {value}" for key, value in t.items()]
        failed = self.failures()
        if failed:
            lines.append(f"{'failed agents':>20}: {len(failed)}")
            lines += [f"{'':>22}{device}: {why}" for device, why in list(failed.items())[:10]]
        return "\n".join(lines)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
