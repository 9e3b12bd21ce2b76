"""``edgefleet simulate``: N agents in one asyncio process, with simulated TPMs and synthetic platforms.

Scripted anomalies, one device each: ``overheating`` (temperature ramps above 90 °C), ``tampered``
(a foreign firmware image measured into PCR 0, so attestation fails against the model's reference
policy), ``offline`` (goes silent after ``offline_after`` seconds). Same seed, same fleet.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from entrypoints.agent.fleet import SimulatedDevice, SimulationConfig, build_devices
from entrypoints.agent.fleet_report import FleetReport

log = logging.getLogger("edgefleet.simulate")


async def _run_one(device: SimulatedDevice, delay: float, offline_after: float) -> None:
    await asyncio.sleep(delay)
    device_id = device.agent.identity.device_id
    try:
        if device.anomaly == "offline":
            try:
                async with asyncio.timeout(offline_after):
                    await device.agent.run()
            except TimeoutError:
                log.warning("%s goes offline (scripted anomaly)", device_id)
                device.outcome = "offline"
                return
        else:
            await device.agent.run()
        device.outcome = "halted" if device.machine.halted else "stopped"
    except asyncio.CancelledError:
        device.outcome = "stopped"  # the run's duration is over
        raise
    except Exception as exc:  # noqa: BLE001 - one failing agent must not take the fleet down
        device.outcome = f"failed: {exc}"
        log.error("%s stopped: %s", device_id, exc)


async def run_fleet(
    config: SimulationConfig,
    devices: list[SimulatedDevice],
    duration: float | None = None,
    progress_every: float = 30.0,
) -> None:
    """Run the devices until ``duration`` elapses (or forever, until cancelled)."""
    for device in devices:
        if device.anomaly:
            log.info("scripted anomaly: %s is %s", device.agent.identity.device_id, device.anomaly)
    step = config.ramp_seconds / max(1, len(devices))
    runs = [asyncio.create_task(_run_one(d, i * step, config.offline_after)) for i, d in enumerate(devices)]
    progress = asyncio.create_task(FleetReport(devices).log_every(progress_every))
    try:
        await asyncio.wait(runs, timeout=duration)
    finally:
        for task in (*runs, progress):
            task.cancel()
        await asyncio.gather(*runs, progress, return_exceptions=True)


def raise_file_limit() -> None:
    """Each agent holds a long-poll and a heartbeat connection: lift the soft descriptor limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def simulate(
    config: SimulationConfig,
    *,
    tokens: list[str] | None = None,
    admin_token: str | None = None,
    duration: float | None = None,
) -> int:
    """The CLI's entry: tokens come from a list (file or flags) or are made with an admin token."""
    from adapters.tpm.fleet import device_ids
    from entrypoints.agent.fleet_policies import publish_reference_policies
    from entrypoints.agent.fleet_tokens import from_admin, from_list

    raise_file_limit()
    connections = 2 * config.devices + 16  # a long poll and a heartbeat per agent, plus headroom
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=15.0) as http:
        ids = device_ids(config.devices, config.prefix)
        source = from_admin(http, config.server, admin_token, ids) if admin_token else from_list(tokens or [])
        report = FleetReport(build_devices(config, source, http))
        if admin_token and config.reference_policies:
            models = {(d.machine.probe.model.name, d.machine.probe.firmware_version) for d in report.devices}
            models |= {(model, version) for model, _ in models for version in config.publish_firmware}
            published = await publish_reference_policies(
                http, config.server, admin_token, models, events=config.event_policies
            )
            kind = "event" if config.event_policies else "reference"
            log.info("published %d model + firmware %s policies", published, kind)
        try:
            await run_fleet(config, report.devices, duration)
        finally:
            print(report.render())  # also after Ctrl-C: what the fleet did is the point of a run
    failed = report.failures()
    return 1 if failed and len(failed) == len(report.devices) else 0
