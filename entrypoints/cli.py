"""The ``edgefleet`` command: serve, db, token, demo (more sub-commands join as features land)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta

from domain.access import Role
from entrypoints.attest.command import add_attest_command
from entrypoints.cli_agent import add_agent_commands
from entrypoints.cli_rollouts import add_rollout_commands
from entrypoints.cli_users import add_user_commands
from entrypoints.demo_run import add_demo_run
from entrypoints.eventlog_cli import add_eventlog_command

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 30m, 1h, 7d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgefleet", description="Edge fleet management and TPM attestation"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="API worker processes on the port (default EDGEFLEET_WORKERS or 1; >1 needs PostgreSQL)",
    )
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="migrate to the newest schema").set_defaults(handler=_db_upgrade)

    token = commands.add_parser("token", help="operator bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a signed token")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--subject", required=True)
    create.add_argument("--ttl", type=parse_duration, default=timedelta(hours=1), help="e.g. 30m, 1h, 7d")
    create.set_defaults(handler=_token_create)

    enroll = commands.add_parser("enroll-token", help="one-time device enrolment tokens")
    enroll_commands = enroll.add_subparsers(dest="enroll_command", required=True)
    enroll_create = enroll_commands.add_parser("create", help="print a one-time enrolment token")
    enroll_create.add_argument("--device", help="only this device id may enrol with it")
    enroll_create.add_argument("--ttl", type=parse_duration, default=timedelta(hours=24), help="e.g. 1h, 7d")
    enroll_create.add_argument("--subject", default="cli", help="recorded as the token's creator")
    enroll_create.set_defaults(handler=_enroll_token_create)

    add_attest_command(commands)
    add_agent_commands(commands)
    add_user_commands(commands)
    add_eventlog_command(commands)
    add_rollout_commands(commands)

    demo = commands.add_parser("demo", help="demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    demo_commands.add_parser("seed", help="register the demo fleet with a day of history").set_defaults(
        handler=_demo_seed
    )
    add_demo_run(demo_commands, parse_duration)
    return parser


def _container():
    from entrypoints.container import build_container

    return build_container()


def _serve(args) -> int:
    import os

    import uvicorn

    from adapters.observability.json_logs import configure_json_logging
    from entrypoints.settings import Settings

    settings = Settings.from_env()
    workers = args.workers or settings.workers
    if workers < 1:
        raise SystemExit("edgefleet serve: --workers must be at least 1")
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise SystemExit(
            f"edgefleet serve: {workers} workers need PostgreSQL (EDGEFLEET_DATABASE_URL=postgresql+asyncpg://...): "
            "SQLite serves one worker; run without --workers, or point the workers at PostgreSQL"
        )
    configure_json_logging(args.log_level)
    os.environ["EDGEFLEET_LOG_LEVEL"] = args.log_level  # each worker process configures its own logging
    uvicorn.run(
        "entrypoints.http.served:served_app",
        factory=True,
        workers=workers,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=None,
        http="entrypoints.http.slow_clients:BoundedHttpProtocol",  # bounds from the same settings
        timeout_keep_alive=settings.idle_timeout_seconds,
    )
    return 0


def _db_upgrade(args) -> int:
    from adapters.persistence.migrate import upgrade

    upgrade(_container().settings().database_url)
    print("database is at the newest schema")
    return 0


def _token_create(args) -> int:
    container = _container()
    token = container.core.tokens().issue(
        args.subject, Role(args.role), args.ttl, container.core.clock().now()
    )
    print(token)
    return 0


def _enroll_token_create(args) -> int:
    from domain.access import Principal
    from entrypoints.container import shutdown_container

    async def run() -> str:
        container = _container()
        try:
            _, secret = await container.services.agents().create_enrollment_token(
                Principal(args.subject, Role.ADMIN), args.ttl, args.device
            )
            return secret
        finally:
            await shutdown_container(container)

    import asyncio  # here, not at the top: every command's start-up pays for a module-level import

    print(asyncio.run(run()))
    return 0


def _demo_seed(args) -> int:
    from entrypoints.container import shutdown_container
    from entrypoints.demo import seed_demo_fleet

    async def run() -> int:
        container = _container()
        try:
            return await seed_demo_fleet(container)
        finally:
            await shutdown_container(container)

    import asyncio

    print(f"demo fleet: {asyncio.run(run())} new devices")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as exc:
        print(f"edgefleet: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
