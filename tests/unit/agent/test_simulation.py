import random

from entrypoints.agent.fleet import SimulationConfig, build_devices, plan_anomalies
from entrypoints.agent.fleet_report import FleetReport
from entrypoints.agent.fleet_tokens import from_list
from entrypoints.agent.simulated import golden_pcrs
from entrypoints.agent.synthetic import SyntheticProbe
from entrypoints.simulate import run_fleet
from tests.unit.agent.conftest import ATLAS_500, HI3559A
from tests.unit.agent.fake_server import SERVER, FakeAgentServer


def stream(model, seed, n=20):
    probe = SyntheticProbe(model, random.Random(seed))
    return [(m.cpu_usage, m.temperature, m.ai_core_usage) for m in (probe.metrics() for _ in range(n))]


def test_the_same_seed_gives_the_same_metrics_and_another_seed_does_not():
    assert stream(ATLAS_500, "s1") == stream(ATLAS_500, "s1") != stream(ATLAS_500, "s2")


def test_atlas_metrics_include_npu_figures_and_hisilicon_metrics_do_not():
    atlas = SyntheticProbe(ATLAS_500, random.Random(1)).metrics()
    hisilicon = SyntheticProbe(HI3559A, random.Random(1)).metrics()
    assert 0 <= atlas.ai_core_usage <= 100 and atlas.npu_memory_used_mb > 0 and atlas.power_w >= 25
    assert 35 < atlas.temperature < 80
    assert (hisilicon.ai_core_usage, hisilicon.npu_memory_used_mb, hisilicon.power_w) == (None, None, None)


def test_the_overheating_device_climbs_above_ninety_degrees_and_stays_there():
    probe = SyntheticProbe(ATLAS_500, random.Random(1), overheating=True, overheat_after=2)
    temperatures = [probe.metrics().temperature for _ in range(25)]
    assert temperatures[0] < 85 and min(temperatures[-5:]) > 90 and max(temperatures) < 100
    assert probe.diagnostics()["npu"]["health"] == "Warning"


def test_anomalies_go_to_three_different_devices_chosen_by_the_seed():
    ids = [f"sim-{i:03d}" for i in range(1, 51)]
    plan = plan_anomalies(ids, "7")
    assert sorted(plan.values()) == ["offline", "overheating", "tampered"]
    assert plan == plan_anomalies(ids, "7")
    assert plan_anomalies(ids[:1], "7") == {ids[0]: "overheating"}


async def test_a_small_fleet_enrols_heartbeats_and_one_device_goes_offline():
    server = FakeAgentServer(tokens=[f"et_tok-{i}" for i in range(3)], heartbeat_interval=1)
    config = SimulationConfig(
        server=SERVER,
        devices=3,
        seed="unit",
        heartbeat_interval=0.02,
        ramp_seconds=0.05,
        offline_after=0.3,
        rsa_pool=1,
        work_seconds=0,
    )
    async with server.client() as http:
        devices = build_devices(config, from_list(f"et_tok-{i}" for i in range(3)), http)
        await run_fleet(config, devices, duration=1.0)
    totals = FleetReport(devices).totals()
    assert totals["enrolled"] == 3 and server.activated == {"sim-001", "sim-002", "sim-003"}
    assert totals["outcomes"] == {"offline": 1, "stopped": 2} and totals["samples_accepted"] > 10
    offline = next(d for d in devices if d.anomaly == "offline").agent.identity.device_id
    counts = {d: sum(1 for h in server.heartbeats if h["device_id"] == d) for d in server.activated}
    assert counts[offline] < min(n for d, n in counts.items() if d != offline)
    for device in devices:  # only the tampered device departs from its model's golden values
        probe = device.machine.probe
        golden = golden_pcrs(probe.model.name, probe.firmware_version)
        assert (device.machine.tpm.pcr_read(range(8)) == golden) == (device.anomaly != "tampered")
