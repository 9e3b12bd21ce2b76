"""A throw-away PostgreSQL server (initdb + pg_ctl in a temporary directory on a free loopback port), for
tests, benchmarks and `edgefleet demo run --postgres`."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    """Runs as the unprivileged ``postgres`` user when started by root (initdb refuses root)."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: fsync and full-page writes on, as in production (benchmarks); tests go without."""
        self.durable = durable
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise RuntimeError("PostgreSQL server binaries not found (install Debian's postgresql package)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="edgefleet-pg-"))
        self.data = self.root / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://edgefleet@127.0.0.1:{self.port}/edgefleet"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        self._run(
            self.initdb, "-D", str(self.data), "-U", "edgefleet", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self.resume()
        createdb = _pg_bin("createdb")
        self._run(createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "edgefleet", "edgefleet")
        return self

    def resume(self) -> None:
        """Start the server (again, after a stop) on the same port and data."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += "" if self.durable else " -c fsync=off -c full_page_writes=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        copy = ["-T", template] if template else []
        self._run(
            _pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "edgefleet", *copy, name
        )
        return f"postgresql+asyncpg://edgefleet@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
