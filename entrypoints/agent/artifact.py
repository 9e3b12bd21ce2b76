"""Fetching an update's artifact before the update hook runs: streamed to a private temporary file,
refused when it is longer than announced, shorter, or hashes to anything but the announced sha256."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import httpx

CHUNK = 1 << 16


async def fetch_artifact(
    url: str, sha256: str, size: int | None, *, http: httpx.AsyncClient | None = None, timeout: float = 300.0
) -> tuple[Path | None, str | None]:
    """(path, None) for a verified download, (None, why) otherwise; nothing is left behind on failure."""
    directory = Path(tempfile.mkdtemp(prefix="edgefleet-update-"))
    path, digest, length = directory / "artifact", hashlib.sha256(), 0
    client = http or httpx.AsyncClient(timeout=timeout, follow_redirects=True)
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                return _discard(path, f"artifact download answered HTTP {response.status_code}")
            with path.open("wb") as out:
                async for chunk in response.aiter_bytes(CHUNK):
                    length += len(chunk)
                    if size is not None and length > size:
                        return _discard(path, f"artifact is longer than the announced {size} bytes")
                    digest.update(chunk)
                    out.write(chunk)
    except httpx.HTTPError as exc:
        return _discard(path, f"artifact download failed: {exc}")
    finally:
        if http is None:
            await client.aclose()
    if size is not None and length != size:
        return _discard(path, f"artifact is {length} bytes, {size} were announced")
    if digest.hexdigest() != sha256.lower():
        return _discard(path, "artifact sha256 does not match the update's")
    return path, None


def _discard(path: Path, why: str) -> tuple[None, str]:
    path.unlink(missing_ok=True)
    path.parent.rmdir()
    return None, why
