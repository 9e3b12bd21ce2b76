"""Fleets of simulated TPMs, and a DeviceGateway that quotes them in process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from domain.attestation.evidence import HashAlg, QuoteEvidence
from domain.errors import DeviceUnreachable
from ports.tpm import Tpm


def device_ids(count: int, prefix: str = "edge") -> list[str]:
    width = max(3, len(str(count)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]


def build_fleet(
    count: int,
    *,
    prefix: str = "edge",
    seed: str = "edgefleet",
    ak: AkAlgorithm | str = AkAlgorithm.ECC,
    rsa_pool: int = 8,
) -> dict[str, SimulatedTpm]:
    """``count`` deterministic TPMs keyed by device id (``edge-001``...).

    ECC AKs are unique per device. RSA keys (every EK, and RSA AKs) cost ~0.5 s each to derive, so devices
    share ``rsa_pool`` of them round-robin; within a pool, one device's RSA quotes verify under another's
    AK, which only matters to tests that swap devices on purpose (use ECC or ``rsa_pool=count`` there).
    """
    if rsa_pool < 1:
        raise ValueError("rsa_pool must be at least 1")
    return {
        device_id: SimulatedTpm(f"{seed}:{device_id}", ak=ak, rsa_seed=f"{seed}:rsa:{i % rsa_pool}")
        for i, device_id in enumerate(device_ids(count, prefix))
    }


class SimulatedFleetGateway:
    """DeviceGateway over in-process TPMs; devices in ``offline`` (or unknown) are unreachable."""

    def __init__(self, tpms: Mapping[str, Tpm], offline: Sequence[str] = ()) -> None:
        self.tpms = dict(tpms)
        self.offline = set(offline)

    async def request_quote(
        self, device_id: str, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256
    ) -> QuoteEvidence:
        tpm = self.tpms.get(device_id)
        if tpm is None or device_id in self.offline:
            raise DeviceUnreachable(
                f"Device {device_id} did not answer the attestation challenge",
                details={"device_id": device_id},
            )
        return tpm.quote(nonce, pcrs, bank)
