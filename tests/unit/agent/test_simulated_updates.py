"""Which simulated devices a bad firmware version is bad on: a seeded share of the fleet."""

from __future__ import annotations

from entrypoints.agent.fleet import SimulationConfig, bad_versions


def test_a_bad_version_hits_about_the_given_share_and_the_same_devices_every_run():
    config = SimulationConfig("http://x", 200, seed="s", bad_firmware=("9.9",), bad_fraction=0.3)
    hit = [d for d in (f"sim-{i:03d}" for i in range(200)) if bad_versions(config, d)]
    assert 40 <= len(hit) <= 80
    assert hit == [d for d in (f"sim-{i:03d}" for i in range(200)) if bad_versions(config, d)]
    everywhere = SimulationConfig("http://x", 3, bad_firmware=("9.9",))
    assert bad_versions(everywhere, "sim-001") == frozenset({"9.9"})
    assert bad_versions(SimulationConfig("http://x", 3), "sim-001") == frozenset()
