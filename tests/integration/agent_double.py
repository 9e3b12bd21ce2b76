"""A minimal in-test device: enrols a SimulatedTpm over the agent API and answers one poll at a time.

(The real agent lives in entrypoints/agent; this double keeps API tests independent of it.)
"""

from __future__ import annotations

import base64

from adapters.tpm.simulated import SimulatedTpm


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class DeviceDouble:
    def __init__(
        self, client, device_id: str, tpm: SimulatedTpm | None = None, platform: str = "atlas"
    ) -> None:
        self.client, self.device_id, self.tpm, self.platform = client, device_id, tpm, platform
        self.credential: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}

    def base(self, path: str) -> str:
        return f"/api/v1/agent/devices/{self.device_id}{path}"

    async def enrol(self, token: str, activate: bool = True):
        body = {
            "enrollment_token": token,
            "device": {
                "id": self.device_id,
                "name": self.device_id,
                "platform": self.platform,
                "model": "Atlas 500",
                "firmware_version": "2.1.0",
                "tee_enabled": True,
                "tpm_enabled": self.tpm is not None,
            },
        }
        if self.tpm is not None:
            body["tpm"] = {"ek_public": b64(self.tpm.ek_public()), "ak_public": b64(self.tpm.ak_public())}
        response = await self.client.post("/api/v1/agent/enroll", json=body)
        if response.status_code == 201:
            self.credential = response.json()["credential"]
            challenge = response.json()["tpm_challenge"]
            if activate and challenge:
                secret = self.tpm.activate_credential(
                    base64.b64decode(challenge["credential_blob"]),
                    base64.b64decode(challenge["encrypted_secret"]),
                )
                activated = await self.client.post(
                    self.base("/tpm/activate"), json={"secret": b64(secret)}, headers=self.auth
                )
                assert activated.status_code == 200, activated.text
        return response

    async def heartbeat(self, **figures):
        sample = {"timestamp": figures.pop("timestamp", None) or "2026-11-29T00:00:00Z", **figures}
        return await self.client.post(self.base("/heartbeat"), json={"samples": [sample]}, headers=self.auth)

    def sent_log(self, log: bytes) -> bytes:
        """The boot event log as sent beside a quote (tests replace this to send another one)."""
        return log

    async def answer_one_poll(self, wait: int = 10) -> dict:
        """Fetch work once; answer every attestation challenge in it with a real quote."""
        work = (await self.client.get(self.base("/work"), params={"wait": wait}, headers=self.auth)).json()
        for challenge in work["attestation"]:
            evidence = self.tpm.quote(bytes.fromhex(challenge["nonce"]), challenge["pcrs"])
            log = self.sent_log(evidence.event_log) if evidence.event_log else None
            posted = await self.client.post(
                self.base("/attestation"),
                headers=self.auth,
                json={
                    "nonce": challenge["nonce"],
                    "quote": b64(evidence.quote),
                    "signature": b64(evidence.signature),
                    "pcrs": {str(i): v.hex() for i, v in evidence.pcr_values.items()},
                    "hash_alg": "sha256",
                    **({"event_log": b64(log)} if log else {}),
                },
            )
            assert posted.status_code == 200, posted.text
        return work
