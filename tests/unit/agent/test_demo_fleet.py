"""The demo's seeded devices are the simulator's first agents, described as those agents describe
themselves, so the simulator keeps them live instead of leaving six stale devices to go offline."""

from __future__ import annotations

from entrypoints.agent.fleet import SimulationConfig, build_devices
from entrypoints.demo import SEEDED, demo_devices
from entrypoints.demo_run import DEMO_PREFIX, DEMO_SEED


async def no_token() -> None:
    return None


def test_seeded_demo_devices_match_the_simulated_agents_that_take_them_over():
    config = SimulationConfig(
        server="http://127.0.0.1:9", devices=50, seed=DEMO_SEED, prefix=DEMO_PREFIX, rsa_pool=1
    )
    agents = {d.agent.identity.device_id: d for d in build_devices(config, no_token, http=None)}
    seeded = demo_devices()
    assert len(seeded) == SEEDED
    for device in seeded:
        simulated = agents[device.id]
        model = simulated.machine.probe.model
        assert (device.name, device.location) == (
            simulated.agent.identity.name,
            simulated.agent.identity.location,
        )
        assert (device.platform.value, device.model, device.firmware_version) == (
            model.platform,
            model.name,
            model.firmware,
        )
