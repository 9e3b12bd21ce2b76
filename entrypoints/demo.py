"""A small demo fleet so a new user sees a populated API at once (idempotent)."""
from __future__ import annotations

import math
import random
from datetime import timedelta

from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceAlreadyExists
from entrypoints.container import Container

DEMO_DEVICES = [
    ("edge-001", "Atlas-500-East", Platform.ATLAS, "DataCenter-US-East", "Atlas 500", 8, 16, "2.1.0"),
    ("edge-002", "Atlas-500Pro-West", Platform.ATLAS, "DataCenter-US-West", "Atlas 500 Pro", 48, 128, "2.1.0"),
    ("edge-003", "Atlas-800-Frankfurt", Platform.ATLAS, "DataCenter-EU-Central", "Atlas 800 (9000)", 192, 1024, "3.0.1"),
    ("edge-004", "Hi3559A-Camera-Gate4", Platform.HISILICON, "Factory-Shenzhen", "Hi3559A V100", 8, 4, "1.4.2"),
    ("edge-005", "Kunpeng-Gateway-Lab", Platform.HISILICON, "Lab-Munich", "Kunpeng 920 (TaiShan 200)", 64, 256, "1.4.2"),
    ("edge-006", "Atlas-200-Retail-17", Platform.ATLAS, "Store-017", "Atlas 200 DK", 8, 8, "2.0.3"),
]


async def seed_demo_fleet(container: Container, hours: int = 24, seed: int = 7) -> int:
    """Register the demo devices with a day of 5-minute telemetry; returns how many were new."""
    inventory = container.services.inventory()
    telemetry = container.services.telemetry()
    clock = container.core.clock()
    rng = random.Random(seed)
    created = 0
    for index, (dev_id, name, platform, location, model, cores, mem, fw) in enumerate(DEMO_DEVICES):
        device = Device(id=dev_id, name=name, platform=platform, location=location, model=model, cores=cores,
                        memory_gb=mem, firmware_version=fw, tee_enabled=True, tpm_enabled=index != 5)
        try:
            await inventory.register(device)
        except DeviceAlreadyExists:
            continue
        created += 1
        now = clock.now()
        steps = hours * 12
        samples = []
        for step in range(steps, -1, -1):
            at = now - timedelta(minutes=5 * step)
            wave = math.sin((step + index * 17) / 24.0)
            sample = MetricSample(
                device_id=dev_id,
                timestamp=at,
                cpu_usage=round(min(100.0, max(0.0, 40 + 25 * wave + rng.uniform(-5, 5))), 1),
                memory_usage=round(min(100.0, max(0.0, 55 + 10 * wave + rng.uniform(-3, 3))), 1),
                temperature=round(48 + 8 * wave + rng.uniform(-1, 1), 1),
                uptime_seconds=int((steps - step) * 300 + 3600),
                ai_core_usage=round(max(0.0, 30 + 30 * wave), 1) if platform is Platform.ATLAS else None,
                power_w=round(35 + 20 * max(0.0, wave), 1) if platform is Platform.ATLAS else None,
            )
            samples.append(sample)
        await telemetry.record_batch(dev_id, samples, DeviceStatus.ONLINE)
    return created
