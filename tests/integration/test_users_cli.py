"""``edgefleet user``: the password comes from standard input (or a prompt), never from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_create_passwd_and_disable_through_the_cli(tmp_path, database_url, container):
    env = {
        "EDGEFLEET_VAR_DIR": str(tmp_path),
        "EDGEFLEET_DATABASE_URL": database_url,
        "EDGEFLEET_JWT_SECRET": TEST_SECRET,
        "PATH": "/usr/bin:/bin",
    }

    def user(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [EDGEFLEET, "user", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
        )

    created = user("create", "olga", "--role", "operator", "--password-stdin", stdin="first password\n")
    assert created.returncode == 0 and "olga" in created.stdout
    again = user("create", "olga", "--role", "admin", "--password-stdin", stdin="first password\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert user("disable", "olga").returncode == 0
    stored = await container.gateways.user_repository().get("olga")
    assert stored.disabled and stored.role.value == "operator"
    assert "first password" not in stored.password_hash
