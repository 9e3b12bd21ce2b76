"""Platform-realistic synthetic metrics for simulated devices, deterministic per seed.

Atlas stations report NPU figures (AI Core load, NPU memory, board power) and run warmer under
inference load; HiSilicon SoCs report CPU, memory and SoC temperature only. Load is a bounded random
walk plus a slow wave, so graphs look alive without being noise.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from ports.platform import PlatformFacts, PlatformMetrics

OVERHEAT_PEAK_C = 96.0
OVERHEAT_STEP_C = 3.0  # per sample once the fan "fails"
CRITICAL_TEMPERATURE = "thermal thermal_zone0: critical temperature reached"
SIMULATED_NPU_DRIVER = "23.0.3"


@dataclass(frozen=True)
class Model:
    platform: str
    name: str
    cores: int
    memory_gb: int
    firmware: str
    idle_c: float
    load_c: float
    npu_memory_mb: int | None = None
    idle_w: float | None = None
    max_w: float | None = None


MODELS = (  # (model, weight): small edge boxes dominate a real fleet
    (Model("atlas", "Atlas 200 DK", 8, 8, "2.0.3", 42, 68, 8192, 6, 20), 3),
    (Model("atlas", "Atlas 500", 8, 16, "2.1.0", 45, 74, 8192, 25, 70), 4),
    (Model("atlas", "Atlas 500 Pro", 48, 128, "2.1.0", 40, 71, 24576, 90, 250), 2),
    (Model("atlas", "Atlas 800 (9000)", 192, 1024, "3.0.1", 38, 69, 32768, 400, 2400), 1),
    (Model("hisilicon", "Hi3559A V100", 8, 4, "1.4.2", 41, 63), 3),
    (Model("hisilicon", "Hi3519A V100", 4, 2, "1.4.2", 39, 58), 2),
    (Model("hisilicon", "Kunpeng 920 (TaiShan 200)", 64, 256, "1.4.2", 36, 66), 1),
)
LOCATIONS = (
    "DataCenter-US-East",
    "DataCenter-EU-Central",
    "Factory-Shenzhen",
    "Lab-Munich",
    "Store-017",
    "Warehouse-Rotterdam",
    "Substation-Osaka",
    "Depot-Sao-Paulo",
)


def choose_model(rng: random.Random) -> Model:
    return rng.choices([m for m, _ in MODELS], weights=[w for _, w in MODELS])[0]


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


class SyntheticProbe:
    def __init__(
        self, model: Model, rng: random.Random, *, overheating: bool = False, overheat_after: int = 3
    ) -> None:
        self.model, self.name, self._rng = model, model.platform, rng
        self.firmware_version = model.firmware
        self.overheating, self._overheat_after = overheating, overheat_after
        self._booted = time.monotonic() - rng.uniform(3600, 30 * 86400)  # up for an hour to a month
        self._load = rng.uniform(0.2, 0.6)
        self._memory = rng.uniform(30, 60)
        self._phase = rng.uniform(0, 2 * math.pi)
        self._step = 0
        self.last_temperature: float | None = None

    def restart(self) -> None:
        self._booted = time.monotonic()
        self._load = 0.1  # services still starting

    def facts(self) -> PlatformFacts:
        m = self.model
        extra: dict[str, object] = {"simulated": True}
        if m.npu_memory_mb is not None:  # one Ascend card, as npu-smi would list it
            extra |= {"npu_ids": [0], "chip_count": 1, "driver_version": SIMULATED_NPU_DRIVER}
        return PlatformFacts(
            platform=m.platform,
            model=m.name,
            cores=m.cores,
            memory_gb=m.memory_gb,
            firmware_version=self.firmware_version,
            tee_enabled=True,
            tee_type="iTrustee",
            extra=extra,
        )

    def metrics(self) -> PlatformMetrics:
        m, rng = self.model, self._rng
        self._step += 1
        self._load = _clamp(self._load + rng.gauss(0, 0.04), 0.05, 0.95)
        self._memory = _clamp(self._memory + rng.gauss(0, 1.0), 10, 92)
        load = _clamp(self._load + 0.15 * math.sin(self._step / 20 + self._phase), 0.0, 1.0)
        temperature = m.idle_c + (m.load_c - m.idle_c) * load + rng.gauss(0, 0.6)
        if self.overheating and self._step > self._overheat_after:
            ramp = temperature + OVERHEAT_STEP_C * (self._step - self._overheat_after)
            temperature = min(ramp, OVERHEAT_PEAK_C + rng.gauss(0, 0.5))
        self.last_temperature = round(temperature, 1)
        npu = m.npu_memory_mb is not None
        ai_core = _clamp(100 * load + rng.gauss(0, 4), 0, 100) if npu else None
        return PlatformMetrics(
            cpu_usage=round(_clamp(100 * load * 0.7 + rng.gauss(0, 3), 0, 100), 1),
            memory_usage=round(self._memory, 1),
            temperature=self.last_temperature,
            uptime_seconds=int(time.monotonic() - self._booted),
            ai_core_usage=round(ai_core, 1) if ai_core is not None else None,
            npu_memory_used_mb=round(m.npu_memory_mb * (0.15 + 0.7 * load))
            if m.npu_memory_mb is not None
            else None,
            power_w=round(m.idle_w + (m.max_w - m.idle_w) * load, 1)
            if npu and m.idle_w is not None and m.max_w is not None
            else None,
            npu_health=("Warning" if temperature > 85 else "OK") if npu else None,
        )

    def diagnostics(self) -> dict:
        m, hot = self.model, (self.last_temperature or 0) > 85
        report = {
            "platform": m.platform,
            "simulated": True,
            "disk": {"/": {"path": "/", "total_mb": 65536, "used_pct": round(30 + self._memory / 3, 1)}},
            "memory": {"total_mb": m.memory_gb * 1024, "used_pct": round(self._memory, 1)},
            "thermal": [{"sensor": "soc", "label": None, "temp_c": self.last_temperature}],
            "kernel_errors": {"count": 1 if hot else 0, "last": [CRITICAL_TEMPERATURE] if hot else []},
        }
        if m.npu_memory_mb is not None:
            report["npu"] = {"health": "Warning" if hot else "OK", "chips": 1}
        return report
