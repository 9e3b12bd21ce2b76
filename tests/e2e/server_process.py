"""Runs the real ``edgefleet`` command as a child process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from adapters.persistence.throwaway_postgres import free_port

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))


class ServerProcess:
    def __init__(self, var_dir: Path, database_url: str, secret: str, extra_env: dict | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = (
            os.environ
            | {
                "EDGEFLEET_VAR_DIR": str(var_dir),
                "EDGEFLEET_DATABASE_URL": database_url,
                "EDGEFLEET_JWT_SECRET": secret,
            }
            | (extra_env or {})
        )
        self.log = var_dir / "server.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [EDGEFLEET, *args], env=self.env, capture_output=True, text=True, timeout=120, input=stdin
        )
        if done.returncode != 0:
            raise RuntimeError(f"edgefleet {' '.join(args)} failed: {done.stderr}")
        return done.stdout.strip()

    def start(self, workers: int = 1, migrate: bool = True) -> ServerProcess:
        if migrate:
            self.cli("db", "upgrade")
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                EDGEFLEET,
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--workers",
                str(workers),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        # each worker imports and starts on its own; two shared cores under a full test run start slowly
        deadline = time.monotonic() + 60 * workers
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not become ready in {60 * workers} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
