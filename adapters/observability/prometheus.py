"""Prometheus metrics: per-route latency, attestation outcomes, command outcomes, heartbeats, queue depth.

Each app gets its own registry so several apps (tests) in one process do not collide.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from domain.events import AttestationRecorded, CommandChanged, Event, RolloutChanged, SampleRecorded

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class FleetMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "edgefleet_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "edgefleet_attestation_verdicts_total", "Attestation verdicts", ["status"], registry=self.registry
        )
        self.verification_seconds = Histogram(
            "edgefleet_attestation_verify_seconds",
            "Time to verify one batch of quotes",
            ["verifier"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tpm_latency = Histogram(
            "edgefleet_tpm_latency_seconds",
            "TPM attestation round trip: challenge issued to verdict stored",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "edgefleet_command_transitions_total",
            "Command lifecycle transitions",
            ["command", "status"],
            registry=self.registry,
        )
        self.heartbeats = Counter(
            "edgefleet_heartbeats_total", "Heartbeat samples stored", registry=self.registry
        )
        self.queue_depth = Gauge(
            "edgefleet_commands_queued", "Commands waiting for their device", registry=self.registry
        )
        self.fleet_uptime = Gauge(
            "edgefleet_fleet_uptime_percent",
            "Mean share of the window seen devices were online",
            ["window"],
            registry=self.registry,
        )
        self.devices = Gauge("edgefleet_devices", "Devices by status", ["status"], registry=self.registry)
        self.rollout_changes = Counter(
            "edgefleet_rollout_transitions_total",
            "Rollout transitions (created, started, paused, resumed, phase, completed, aborted, canceled)",
            ["change"],
            registry=self.registry,
        )
        self.rollout_devices = Counter(
            "edgefleet_rollout_device_transitions_total",
            "Rollout devices reaching a state, with the failure reason",
            ["state", "reason"],
            registry=self.registry,
        )
        self.rollouts_in_motion = Gauge(
            "edgefleet_rollouts_in_motion", "Rollouts the scheduler still has work on", registry=self.registry
        )

    async def on_event(self, event: Event) -> None:
        if isinstance(event, SampleRecorded):
            self.heartbeats.inc()
        elif isinstance(event, AttestationRecorded):
            self.verdicts.labels(event.status).inc()
            if event.tpm_latency_seconds is not None:
                self.tpm_latency.observe(event.tpm_latency_seconds)
        elif isinstance(event, CommandChanged):
            self.commands.labels(event.command, event.status).inc()
        elif isinstance(event, RolloutChanged):
            if event.device_state is None:
                self.rollout_changes.labels(event.change).inc()
            else:
                self.rollout_devices.labels(event.device_state, event.reason or "").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
