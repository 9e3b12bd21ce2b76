"""TPM operation latency: the challenge-to-verdict round trip, measured on the injected clock."""

from __future__ import annotations

from adapters.event_bus import RecordingEventBus
from adapters.observability.prometheus import FleetMetrics
from adapters.tpm.fleet import SimulatedFleetGateway


class SlowGateway(SimulatedFleetGateway):
    def __init__(self, tpms, clock, seconds: float) -> None:
        super().__init__(tpms)
        self._clock, self._seconds = clock, seconds

    async def request_quote(self, device_id, nonce, pcrs, bank):
        self._clock.advance(seconds=self._seconds)  # the device takes this long to quote
        return await super().request_quote(device_id, nonce, pcrs, bank)


async def test_a_verdict_carries_the_round_trip_from_challenge_to_verdict(world):
    world.service._gateway = SlowGateway(world.tpms, world.clock, 2.5)  # noqa: SLF001 - swap the port
    verdict = await world.service.verify_device("edge-001")
    assert verdict.succeeded and verdict.tpm_latency_seconds == 2.5
    assert (await world.service.latest("edge-001")).tpm_latency_seconds == 2.5


async def test_an_answer_pushed_by_the_device_has_no_round_trip_of_ours(world):
    challenge = await world.service.issue_challenge("edge-001")
    evidence = world.tpms["edge-001"].quote(challenge.nonce.value, challenge.pcrs, challenge.bank)
    verdict = await world.service.submit_evidence("edge-001", challenge.nonce.value, evidence)
    assert verdict.succeeded and verdict.tpm_latency_seconds is None


async def test_the_round_trip_reaches_the_prometheus_histogram_through_the_verdict_event(world):
    bus, metrics = RecordingEventBus(), FleetMetrics()
    bus.subscribe(metrics.on_event)
    world.service._events = bus  # noqa: SLF001
    world.service._gateway = SlowGateway(world.tpms, world.clock, 0.2)  # noqa: SLF001
    await world.service.verify_device("edge-001")
    await world.service.verify_device("edge-002")
    assert [e.tpm_latency_seconds for e in bus.events] == [0.2, 0.2]
    text = metrics.exposition().decode()
    assert "edgefleet_tpm_latency_seconds_count 2.0" in text
    assert 'edgefleet_tpm_latency_seconds_bucket{le="0.25"} 2.0' in text
    assert 'edgefleet_tpm_latency_seconds_bucket{le="0.1"} 0.0' in text
