"""What the command modules share: a refusal as `smsgate NAME: reason` with exit status 2,
running work on the store a command names (--db, SMSGATE_DB or --config; said on stderr), finding
an account by id or name, and checking a webhook URL."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from smsgate.cli.database import database_of
from smsgate.config import ConfigError
from smsgate.domain.account import Account
from smsgate.domain.callback_urls import check_url
from smsgate.domain.errors import GatewayError
from smsgate.store import Store, StoreError, open_store

T = TypeVar("T")


class CommandError(Exception):
    """What the operator asked cannot be done; the message says why."""


class UnknownAccountError(CommandError):
    """No account has the id or name given; the message gains the database looked in."""


def refuse(name: str, reason: object) -> int:
    """Say why command `name` could not be done; its exit status."""
    print(f"smsgate {name}: {reason}", file=sys.stderr)
    return 2


def run_on_store(args: argparse.Namespace, work: Callable[[Store], Awaitable[T]]) -> T:
    """`work` on the store the command names, which is said first, on stderr."""
    database = database_of(args)
    print(f"smsgate: {database}", file=sys.stderr)

    async def main() -> T:
        store = await open_store(database.url)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except UnknownAccountError as exc:
        raise CommandError(f"{exc} in {database}") from None


def store_command(name: str, work: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """`work` as a command's function: its errors printed as `smsgate NAME: ...`, status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return work(args)
        except (CommandError, StoreError, ConfigError, ValueError) as exc:
            return refuse(name, exc)

    return run


async def find_account(store: Store, name_or_id: str) -> Account:
    account = await store.get_account(name_or_id)
    if account is not None:
        return account
    named = [a for a in await store.list_accounts() if a.name == name_or_id]
    if not named:
        raise UnknownAccountError(f"no account is called {name_or_id!r}")
    if len(named) > 1:
        raise CommandError(f"several accounts are called {name_or_id!r}; give the account id")
    return named[0]


def webhook_url(value: str) -> str | None:
    """A URL given to a command: checked as callback URLs are; "" removes the setting."""
    if not value:
        return None
    try:
        return check_url(value, None)
    except GatewayError as exc:
        raise CommandError(f"{value}: {exc.detail or exc}") from None
