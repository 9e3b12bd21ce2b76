"""The simulated vendor's golden values: one model + firmware reference policy per model in the fleet.

With them in place the tampered device fails attestation (policy_mismatch on PCR 0) while its clean
siblings pass, and an updated device fails until an operator adopts its new values.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from domain.attestation.evidence import HashAlg
from domain.attestation.policy import PolicyScope
from domain.measured_boot.eventlog import parse_log
from domain.measured_boot.policy import learn
from entrypoints.agent.simulated import device_boot_log, golden_pcrs

log = logging.getLogger("edgefleet.simulate")


async def publish_reference_policies(
    http: httpx.AsyncClient,
    server: str,
    admin_token: str,
    models: set[tuple[str, str]],
    *,
    events: bool = False,
) -> int:
    """PUT each (model, firmware) policy; returns how many the server accepted. Failures are logged,
    not fatal: the fleet runs without them, only attestation cannot tell tampered from clean.
    ``events``: event policies learned from the model's clean boot log instead of golden PCR values."""
    accepted = 0
    for model, firmware in sorted(models):
        scope = f"{quote(model, safe='')}/{quote(firmware, safe='')}"  # "Atlas 800 (9000)" has spaces
        if events:
            url = f"{server.rstrip('/')}/api/v1/edge/policies/events/models/{scope}"
            body = learn(
                PolicyScope.for_model(model, firmware),
                parse_log(device_boot_log(model, firmware)),
                HashAlg.SHA256,
            ).as_dict()
        else:
            url = f"{server.rstrip('/')}/api/v1/edge/policies/models/{scope}"
            body = {
                "bank": "sha256",
                "pcrs": {str(i): v.hex() for i, v in golden_pcrs(model, firmware).items()},
            }
        try:
            response = await http.put(url, json=body, headers={"Authorization": f"Bearer {admin_token}"})
        except httpx.TransportError as exc:
            log.warning("reference policy for %s %s not published: %s", model, firmware, exc)
            continue
        if response.status_code == 200:
            accepted += 1
        else:
            log.warning(
                "reference policy for %s %s refused: HTTP %d %s",
                model,
                firmware,
                response.status_code,
                response.text[:200],
            )
    return accepted
