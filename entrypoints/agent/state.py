"""What the agent keeps across restarts: device id, credential (0600), TPM files, unfinished commands.

Without a directory (the simulator) everything lives in memory. Files are replaced atomically so
a power cut mid-write leaves the previous state, never half a credential.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

CREDENTIAL = "credential"
DEVICE = "device.json"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)  # O_CREAT's mode is ignored when a stale tmp file already existed
    os.replace(tmp, path)


class AgentState:
    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._credential: str | None = None
        self._device: dict = {}
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._load()

    def _load(self) -> None:
        assert self.directory is not None
        credential = self.directory / CREDENTIAL
        if credential.exists():
            self._credential = credential.read_text().strip() or None
        device = self.directory / DEVICE
        if device.exists():
            self._device = json.loads(device.read_text())

    def _save_device(self) -> None:
        if self.directory is not None:
            _write_private(self.directory / DEVICE, json.dumps(self._device, indent=2, sort_keys=True))

    @property
    def tpm_dir(self) -> Path | None:
        """Where a TPM adapter keeps its key blobs (the AK); None in memory."""
        if self.directory is None:
            return None
        path = self.directory / "tpm"
        path.mkdir(exist_ok=True, mode=0o700)
        return path

    @property
    def credential(self) -> str | None:
        return self._credential

    def save_enrolment(self, device_id: str, credential: str, heartbeat_interval: int) -> None:
        self._credential = credential
        if self.directory is not None:
            _write_private(self.directory / CREDENTIAL, credential + "\n")
        self._device.update(device_id=device_id, heartbeat_interval=heartbeat_interval, tpm_activated=False)
        self._save_device()

    def get(self, key: str, default=None):
        return self._device.get(key, default)

    def set(self, key: str, value) -> None:
        """Remember one JSON value (None forgets it)."""
        if value is None:
            self._device.pop(key, None)
        else:
            self._device[key] = value
        self._save_device()

    def simulated_tpm_seed(self) -> str:
        """A random, persisted seed, so ``--tpm simulated`` keeps its EK and AK across restarts."""
        seed = self.get("simulated_tpm_seed")
        if seed is None:
            seed = secrets.token_hex(16)
            self.set("simulated_tpm_seed", seed)
        return seed
