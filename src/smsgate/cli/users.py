"""`smsgate user create|passwd|list`: the web console's users. An operator sees every account;
a customer sees its own account only. Without --password a password is drawn and printed once
(only its Argon2 hash is stored)."""

import argparse
import json
import secrets
from typing import Any

from smsgate.cli.common import CommandError, find_account, run_on_store, store_command
from smsgate.domain.console_user import ConsoleUserError
from smsgate.domain.errors import GatewayError
from smsgate.engine.administration import Administration
from smsgate.engine.clock import SystemClock
from smsgate.store import Store


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password given, or a drawn one (True: print it)."""
    if args.password:
        return args.password, False
    return secrets.token_urlsafe(12), True


def _create(args: argparse.Namespace) -> int:
    password, drawn = _password(args)

    async def work(store: Store) -> dict[str, Any]:
        account_id = None
        if args.account:
            account_id = (await find_account(store, args.account)).id
        try:
            user = await Administration(store, SystemClock()).create_user(
                args.name, args.role, password, account_id
            )
        except (ConsoleUserError, GatewayError) as error:
            raise CommandError(getattr(error, "detail", "") or str(error)) from None
        shown = {"password": password} if drawn else {}
        return {"name": user.name, "role": user.role.value, "account_id": account_id, **shown}

    print(json.dumps(run_on_store(args, work)))
    return 0


def _passwd(args: argparse.Namespace) -> int:
    password, drawn = _password(args)

    async def work(store: Store) -> dict[str, Any]:
        try:
            await Administration(store, SystemClock()).set_password(args.name, password)
        except (ConsoleUserError, GatewayError) as error:
            raise CommandError(getattr(error, "detail", "") or str(error)) from None
        return {"name": args.name, **({"password": password} if drawn else {})}

    print(json.dumps(run_on_store(args, work)))
    return 0


def _list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        return [
            {
                "name": user.name,
                "role": user.role.value,
                "account_id": user.account_id,
                "failures": user.failures,
                "locked_until": user.locked_until or None,
            }
            for user in await Administration(store, SystemClock()).users()
        ]

    print(json.dumps(run_on_store(args, work)))
    return 0


def add_user_commands(commands: Any) -> None:
    """`smsgate user ...`"""
    user = commands.add_parser("user", help="manage the web console's users")
    sub = user.add_subparsers(dest="user_command", required=True)
    create = sub.add_parser("create", help="add a console user")
    create.add_argument("name", help="user name (letters, digits, . _ @ -)")
    create.add_argument("--role", choices=["operator", "customer"], required=True)
    create.add_argument("--account", help="a customer's account (id or name)")
    create.add_argument("--password", help="at least 10 characters; default: drawn and printed")
    create.add_argument("--config", help="TOML configuration file")
    create.set_defaults(func=store_command("user create", _create))
    passwd = sub.add_parser("passwd", help="set a user's password (ends its sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="at least 10 characters; default: drawn and printed")
    passwd.add_argument("--config", help="TOML configuration file")
    passwd.set_defaults(func=store_command("user passwd", _passwd))
    listing = sub.add_parser("list", help="list console users")
    listing.add_argument("--config", help="TOML configuration file")
    listing.set_defaults(func=store_command("user list", _list))
