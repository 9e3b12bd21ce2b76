"""swtpm on free loopback ports for the real-TPM tests.

``swtpm_tcti`` is one TPM for the whole session (starting one takes ~50 ms, but the PCRs and keys a
test leaves behind are shared); ``start_swtpm`` gives a test module a TPM of its own when it needs a
clean one, e.g. tpm2-tools, which leave objects loaded and flush every transient between commands.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
START_ATTEMPTS = 5  # another process may take the ports between our probe and swtpm's bind
READY_TIMEOUT_S = 10.0


def _free_port_pair() -> int:
    """A port P with P+1 free too: swtpm's data channel and its control channel."""
    while True:
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as ctrl:
            try:
                ctrl.bind((LOOPBACK, port + 1))
            except OSError:
                continue
        return port


class Swtpm:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log = state_dir / "swtpm.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def tcti(self) -> str:
        return f"swtpm:host={LOOPBACK},port={self.port}"

    def start(self) -> Swtpm:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(START_ATTEMPTS):
            self.port = _free_port_pair()
            with self.log.open("wb") as log:  # the child keeps its own copy of the descriptor
                self.process = subprocess.Popen(
                    [
                        "swtpm",
                        "socket",
                        "--tpm2",
                        "--tpmstate",
                        f"dir={self.state_dir}",
                        "--server",
                        f"type=tcp,port={self.port},bindaddr={LOOPBACK}",
                        "--ctrl",
                        f"type=tcp,port={self.port + 1},bindaddr={LOOPBACK}",
                        "--flags",
                        "not-need-init,startup-clear",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready():
                return self
        raise RuntimeError(f"swtpm did not start: {self._log_text()}")

    def _wait_ready(self) -> bool:
        """True once the data port accepts; False if swtpm exited (port taken), to retry elsewhere."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.2).close()
                return self.process.poll() is None  # not someone else answering on a port swtpm lost
            except OSError:
                time.sleep(0.02)
        self.stop()
        return False

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace").strip() if self.log.exists() else "no log"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def start_swtpm(tmp_path_factory):
    """Factory: start_swtpm() -> a running Swtpm (``.tcti``); all are stopped at the end of the session.
    ``make test`` sets EDGEFLEET_REQUIRE_SWTPM=1: a missing swtpm fails there instead of skipping."""
    if shutil.which("swtpm") is None:
        if os.environ.get("EDGEFLEET_REQUIRE_SWTPM") == "1":
            pytest.fail("swtpm is not installed (Debian package swtpm) and EDGEFLEET_REQUIRE_SWTPM=1")
        pytest.skip("swtpm is not installed (Debian package swtpm)")
    started: list[Swtpm] = []

    def start() -> Swtpm:
        server = Swtpm(tmp_path_factory.mktemp("swtpm")).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def swtpm_tcti(start_swtpm) -> str:
    return start_swtpm().tcti
