"""The agent refuses updates it cannot trust: a missing or foreign signature (with --update-public-key),
and a downloaded artifact whose size or sha256 is not the announced one."""

from __future__ import annotations

import hashlib

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.artifact_signing import Ed25519ArtifactSigner
from entrypoints.agent.artifact import fetch_artifact
from entrypoints.agent.handlers import CommandHandlers
from tests.unit.agent.conftest import make_machine

BLOB = b"firmware image" * 100
SHA = hashlib.sha256(BLOB).hexdigest()


def update(**extra) -> dict:
    return {"version": "2.2.0", "sha256": SHA, "timeout": 5, **extra}


async def test_with_an_update_key_only_updates_it_signed_are_installed():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    machine = make_machine()
    handlers = CommandHandlers(machine, update_key=key.public_key())
    unsigned = await handlers.run("update", update())
    foreign = await handlers.run("update", update(signature=Ed25519ArtifactSigner(other).sign(SHA)))
    garbage = await handlers.run("update", update(signature="not base64!"))
    assert [o.status for o in (unsigned, foreign, garbage)] == ["rejected"] * 3
    assert "no signature" in unsigned.result["message"] and "does not verify" in foreign.result["message"]
    assert machine.probe.firmware_version != "2.2.0"
    signed = await handlers.run("update", update(signature=Ed25519ArtifactSigner(key).sign(SHA)))
    assert signed.status == "succeeded" and machine.probe.firmware_version == "2.2.0"


def serving(body: bytes) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))


async def test_a_downloaded_artifact_is_kept_only_when_size_and_digest_match():
    async with serving(BLOB) as http:
        path, problem = await fetch_artifact("https://fw/x", SHA, len(BLOB), http=http)
        assert problem is None and path.read_bytes() == BLOB
        path.unlink()
        path.parent.rmdir()
        assert (await fetch_artifact("https://fw/x", SHA, len(BLOB) - 1, http=http))[1].startswith(
            "artifact is longer"
        )
        assert "were announced" in (await fetch_artifact("https://fw/x", SHA, len(BLOB) + 1, http=http))[1]
        assert "sha256" in (await fetch_artifact("https://fw/x", "00" * 32, len(BLOB), http=http))[1]
