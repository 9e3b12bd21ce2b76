"""``edgefleet demo run``: the server plus a simulated fleet of agents over loopback HTTP, so a new user
sees a live fleet at once. Ctrl-C stops both."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
DEMO_SEED, DEMO_PREFIX = "demo", "sim"  # `demo seed` writes history for this fleet's first devices


def add_demo_run(demo_commands, parse_duration) -> None:
    run = demo_commands.add_parser("run", help="serve and run a simulated fleet of agents against it")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--devices", type=int, default=50)
    run.add_argument("--token-ttl", type=parse_duration, default=timedelta(hours=12))
    run.add_argument(
        "--workers", type=int, default=1, help="API worker processes (more than 1 needs --postgres)"
    )
    run.add_argument(
        "--postgres",
        action="store_true",
        help="start a throw-away PostgreSQL for this run (migrated and seeded; gone on exit)",
    )
    run.set_defaults(handler=demo_run)


def _wait_ready(url: str, server: subprocess.Popen) -> None:
    import httpx  # here, not at the top: every ``edgefleet`` command would pay its import

    deadline = time.monotonic() + 120  # several workers each import and start on their own
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("edgefleet demo run: the server exited at start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("edgefleet demo run: the server did not become ready")


DEMO_USERS = (("admin", "admin"), ("operator", "operator"), ("viewer", "viewer"), ("auditor", "auditor"))


def _demo_users(password: str, env: dict) -> None:
    """One console account per role, all with this run's password (created, or reset if they exist)."""
    from domain.access import Role
    from domain.users import UserExists
    from entrypoints.container import build_container, shutdown_container
    from entrypoints.settings import Settings

    async def run() -> None:
        container = build_container(Settings.from_env(env))  # the run's database (PostgreSQL with --postgres)
        try:
            accounts = container.services.user_accounts()
            for name, role in DEMO_USERS:
                try:
                    await accounts.create(name, Role(role), password)
                except UserExists:
                    await accounts.set_password(name, password)
        finally:
            await shutdown_container(container)

    import asyncio  # here, not at the top: every command's start-up pays for a module-level import

    asyncio.run(run())


def demo_run(args) -> int:
    if not args.postgres:
        return _serve_with_fleet(args, os.environ.copy())
    from adapters.persistence.throwaway_postgres import PostgresServer

    database = PostgresServer(durable=True).start()
    try:
        env = os.environ | {"EDGEFLEET_DATABASE_URL": database.url}
        for step in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([EDGEFLEET, *step], env=env, check=True)
        print(f"== throw-away PostgreSQL at {database.url} (removed on exit)", flush=True)
        return _serve_with_fleet(args, env)
    finally:
        database.stop()


def _serve_with_fleet(args, env: dict) -> int:
    url = f"http://{args.host}:{args.port}"
    password = secrets.token_urlsafe(9)
    _demo_users(password, env)
    ttl = f"{int(args.token_ttl.total_seconds())}s"
    token = subprocess.run(
        [EDGEFLEET, "token", "create", "--role", "admin", "--subject", "demo-admin", "--ttl", ttl],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    server = subprocess.Popen(
        [EDGEFLEET, "serve", "--host", args.host, "--port", str(args.port), "--workers", str(args.workers)],
        env=env,
    )
    simulator = None
    try:
        _wait_ready(url, server)
        simulator = subprocess.Popen(
            [
                EDGEFLEET,
                "simulate",
                "--server",
                url,
                "--devices",
                str(args.devices),
                "--seed",
                DEMO_SEED,
                "--prefix",
                DEMO_PREFIX,
                "--log-level",
                "warning" if args.devices > 100 else "info",
            ],
            env=env | {"EDGEFLEET_ADMIN_TOKEN": token},
        )
        print(
            f"\n== edgefleet is serving {url} ({args.workers} worker(s)) with {args.devices} simulated devices; "
            f"Ctrl-C stops both.\n"
            f"== web console: {url}/console/  sign in as admin, operator, viewer or auditor, "
            f"password {password} (new each run)\n"
            f"== API docs: {url}/schema/swagger\n== admin token (valid {args.token_ttl}):\nexport TOKEN={token}\n"
            f"curl -s -H \"Authorization: Bearer $TOKEN\" '{url}/api/v1/edge/devices?limit=5'\n",
            flush=True,
        )
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (simulator, server):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (simulator, server):
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
