"""``edgefleet user create|passwd|disable``: local console accounts (passwords never on the command line)."""

from __future__ import annotations

import getpass
import sys

from domain.access import Role
from domain.errors import DomainError


def add_user_commands(commands) -> None:
    user = commands.add_parser("user", help="console sign-in accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="add an account (prompts for the password)")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(handler=_create)
    passwd = user_commands.add_parser("passwd", help="set a new password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=_passwd)
    disable = user_commands.add_parser("disable", help="refuse this account's sign-ins from now on")
    disable.add_argument("name")
    disable.set_defaults(handler=_disable)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise ValueError("the passwords differ")
    return first


def _run(action) -> int:
    from entrypoints.cli import _container
    from entrypoints.container import shutdown_container

    async def run():
        container = _container()
        try:
            return await action(container.services.user_accounts())
        finally:
            await shutdown_container(container)

    try:
        import asyncio  # here, not at the top: every command's start-up pays for a module-level import

        print(asyncio.run(run()))
    except DomainError as exc:
        print(f"edgefleet: error: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _create(args) -> int:
    password = _password(args)

    async def create(accounts) -> str:
        user = await accounts.create(args.name, Role(args.role), password)
        return f"user {user.name} created with role {user.role.value}"

    return _run(create)


def _passwd(args) -> int:
    password = _password(args)

    async def passwd(accounts) -> str:
        return f"password of {(await accounts.set_password(args.name, password)).name} changed"

    return _run(passwd)


def _disable(args) -> int:
    async def disable(accounts) -> str:
        return f"user {(await accounts.disable(args.name)).name} disabled"

    return _run(disable)
