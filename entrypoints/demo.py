"""A day of history for the demo fleet, so a new user sees charts at once (idempotent).

The devices seeded are the first simulated agents of `edgefleet demo run` (same seed, same ids, same
models and locations), so they stay live when the simulator takes them over: the only devices that go
offline or misbehave in the demo are the scripted anomalies."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from adapters.tpm.fleet import device_ids
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceAlreadyExists
from entrypoints.agent.fleet import describe, device_rng
from entrypoints.container import Container
from entrypoints.demo_run import DEMO_PREFIX, DEMO_SEED

SEEDED = 6


def demo_devices(count: int = SEEDED) -> list[Device]:
    devices = []
    for device_id in device_ids(count, DEMO_PREFIX):
        model, location, name = describe(device_rng(DEMO_SEED, device_id), device_id)
        devices.append(
            Device(
                id=device_id,
                name=name,
                platform=Platform(model.platform),
                location=location,
                model=model.name,
                cores=model.cores,
                memory_gb=model.memory_gb,
                firmware_version=model.firmware,
                tee_enabled=True,
                tpm_enabled=True,
            )
        )
    return devices


async def seed_demo_fleet(container: Container, hours: int = 24, seed: int = 7) -> int:
    """Register the demo devices with a day of 5-minute telemetry; returns how many were new."""
    inventory = container.services.inventory()
    telemetry = container.services.telemetry()
    clock = container.core.clock()
    rng = random.Random(seed)
    created = 0
    for index, device in enumerate(demo_devices()):
        try:
            await inventory.register(device)
        except DeviceAlreadyExists:
            continue
        created += 1
        now = clock.now()
        steps = hours * 12
        atlas = device.platform is Platform.ATLAS
        samples = []
        for step in range(steps, -1, -1):
            wave = math.sin((step + index * 17) / 24.0)
            samples.append(
                MetricSample(
                    device_id=device.id,
                    timestamp=now - timedelta(minutes=5 * step),
                    cpu_usage=round(min(100.0, max(0.0, 40 + 25 * wave + rng.uniform(-5, 5))), 1),
                    memory_usage=round(min(100.0, max(0.0, 55 + 10 * wave + rng.uniform(-3, 3))), 1),
                    temperature=round(48 + 8 * wave + rng.uniform(-1, 1), 1),
                    uptime_seconds=int((steps - step) * 300 + 3600),
                    ai_core_usage=round(max(0.0, 30 + 30 * wave), 1) if atlas else None,
                    power_w=round(35 + 20 * max(0.0, wave), 1) if atlas else None,
                )
            )
        await telemetry.record_batch(device.id, samples, DeviceStatus.ONLINE)
    return created
