"""The server's background jobs, from the container's use cases."""

from __future__ import annotations

from datetime import timedelta

from domain.jobs import Job
from entrypoints.container import Container


def server_jobs(container: Container) -> list[Job]:
    settings, services, gateways = container.settings(), container.services, container.gateways
    clock, metrics = container.core.clock(), container.core.metrics()

    async def refresh_gauges() -> None:
        counts = await gateways.fleet_queries().operational_counts()
        metrics.queue_depth.set(counts.pop("queued_commands", 0))
        for status in ("online", "offline", "degraded", "unknown"):
            metrics.devices.labels(status).set(counts.get(status, 0))

    async def refresh_fleet_uptime() -> None:
        fleet = await services.uptime().refresh_fleet()
        for window, percent in fleet.percent.items():
            if percent is not None:
                metrics.fleet_uptime.labels(window).set(percent)

    async def advance_rollouts() -> None:
        metrics.rollouts_in_motion.set(await services.rollouts().advance())

    jobs = [
        Job("expire-commands", 5.0, services.commands().expire_due),
        Job(
            "mark-offline", max(1.0, settings.heartbeat_interval_seconds / 3), services.agents().sweep_offline
        ),
        Job("gauges", 15.0, refresh_gauges, fleet_wide=False),
        Job("fleet-uptime", 300.0, refresh_fleet_uptime, fleet_wide=False),
        Job("metrics-rollup", 60.0, lambda: gateways.maintenance().roll_up(clock.now())),
        Job(
            "metrics-retention",
            600.0,
            lambda: gateways.maintenance().apply_retention(clock.now(), settings.metrics_retention),
        ),
        Job("escalate-offline-alerts", 60.0, services.alerts().escalate_offline),
        Job("purge-expired-challenges", 60.0, gateways.device_gateway().purge_expired),
        # one scheduler per fleet: fleet-wide, so a dead worker's rollouts continue on the next holder
        Job("rollout-scheduler", float(settings.rollout_step_seconds), advance_rollouts),
    ]
    if settings.attestation_interval_seconds > 0:
        every = timedelta(seconds=settings.attestation_interval_seconds)
        jobs.append(
            Job(
                "attest-due",
                min(60.0, every.total_seconds() / 2),
                lambda: services.bulk().attest_due(every, clock.now()),
            )
        )
    return jobs
