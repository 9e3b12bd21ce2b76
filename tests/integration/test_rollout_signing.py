"""With EDGEFLEET_ROLLOUT_SIGNING_KEY the server signs artifacts' digests; the update commands carry
the signature, and it verifies against the public key the agents are given."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.artifact_signing import signature_problem
from entrypoints.container import build_container, shutdown_container
from tests.conftest import auth_header, make_settings
from tests.integration.http_client import api_client
from tests.integration.rollout_devices import ARTIFACT, NEW


async def test_registered_artifacts_are_signed_by_the_configured_key(tmp_path, database_url):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    container = build_container(make_settings(tmp_path, database_url, rollout_signing_key=pem))
    try:
        async with api_client(container) as client:
            admin = auth_header(container, "admin")
            answer = await client.put(f"/api/v1/edge/firmware/{NEW}", json=ARTIFACT, headers=admin)
            signature = answer.json()["artifact"]["signature"]
            assert signature_problem(key.public_key(), ARTIFACT["sha256"], signature) is None
            forged = Ed25519PrivateKey.generate().public_key()
            assert "does not verify" in signature_problem(forged, ARTIFACT["sha256"], signature)
    finally:
        await shutdown_container(container)
