"""The device agent is its own program: wired by entrypoints/agent/bootstrap.py, runnable with only the
``agent`` extra installed (httpx, psutil, tpm2-pytss over the base), never importing the server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from entrypoints.agent.bootstrap import AgentOptions, wire_agent
from entrypoints.agent.machine import HostMachine

ROOT = Path(__file__).resolve().parents[3]
# Distributions only the server extra brings, by the module name they import as.
SERVER_ONLY = (
    "litestar",
    "msgspec",
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "asyncpg",
    "uvicorn",
    "httptools",
    "uvloop",
    "websockets",
    "dependency_injector",
    "jwt",
    "rich",
    "prometheus_client",
    "redis",
    "argon2",
)
AGENT_MODULES = (
    "entrypoints.agent.main",
    "entrypoints.agent.bootstrap",
    "entrypoints.cli_agent",
    "entrypoints.simulate",
    "adapters.platform.detect",
    "adapters.tpm.pytss_tpm",
)


def run_without_server_packages(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter where the server-only packages cannot be imported, as on a
    device that installed edgefleet[agent]; it prints what it found."""
    prelude = f"""
        import importlib.abc, sys
        BLOCKED = {SERVER_ONLY!r}

        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (agent-only install)")

        sys.meta_path.insert(0, NotInstalled())
    """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(prelude) + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_agent_imports_nothing_of_the_server():
    done = run_without_server_packages(
        f"""
        import importlib
        for name in {AGENT_MODULES!r}:
            importlib.import_module(name)
        print(sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED or n == "entrypoints.container"))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_edgefleet_agent_runs_with_the_agent_extra_alone():
    done = run_without_server_packages(
        """
        from entrypoints.cli_agent import main
        try:
            main(["agent", "--help"])
        except SystemExit as exit:
            print("exit", exit.code)
        """
    )
    assert done.returncode == 0, done.stderr
    assert "--enroll-token" in done.stdout and done.stdout.strip().endswith("exit 0")


def test_the_agent_extra_holds_what_the_agent_imports_and_the_server_extra_the_rest():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {
        extra: {spec.split(">")[0].split("=")[0].split("[")[0] for spec in specs}
        for extra, specs in project["optional-dependencies"].items()
    }
    assert names["agent"] == {"httpx", "psutil", "tpm2-pytss"}
    assert {"litestar", "sqlalchemy", "dependency-injector", "uvicorn"} <= names["server"]
    assert not {"litestar", "sqlalchemy", "httpx", "psutil"} & {
        spec.split(">")[0] for spec in project["dependencies"]
    }
    assert project["scripts"]["edgefleet-agent"] == "entrypoints.cli_agent:main"


async def test_the_bootstrap_wires_a_device_agent_from_its_options(tmp_path):
    wired = await wire_agent(
        AgentOptions(
            server="http://fleet.test",
            tpm="simulated",
            state_dir=tmp_path,
            device_id="edge-7",
            platform="atlas",
            reboot_command="true",
        )
    )
    try:
        assert wired.agent.identity.device_id == "edge-7" and wired.state.directory == tmp_path
        assert wired.tpm is not None and wired.agent.tpm is wired.tpm
        assert isinstance(wired.agent.machine, HostMachine)
        assert wired.state.get("platform") == "atlas"  # reported at enrolment, kept for restarts
    finally:
        await wired.close()


async def test_a_state_dir_enrolled_as_another_device_is_refused(tmp_path):
    from entrypoints.agent.enrolment import EnrolmentFailed
    from entrypoints.agent.state import AgentState

    AgentState(tmp_path).save_enrolment("edge-1", "edge-1.secret", heartbeat_interval=30)
    with pytest.raises(EnrolmentFailed, match="enrolled as edge-1"):
        await wire_agent(AgentOptions(server="http://fleet.test", state_dir=tmp_path, device_id="edge-2"))
