"""What the command modules share: a refusal as `smsgate NAME: reason` with exit status 2,
running work on the configured store (SMSGATE_DB or --config), finding an account by id or name,
and checking a webhook URL."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from smsgate.config import ConfigError, load_config
from smsgate.domain.account import Account
from smsgate.domain.callback_urls import check_url
from smsgate.domain.errors import GatewayError
from smsgate.store import Store, StoreError, open_store

T = TypeVar("T")


class CommandError(Exception):
    """What the operator asked cannot be done; the message says why."""


def refuse(name: str, reason: object) -> int:
    """Say why command `name` could not be done; its exit status."""
    print(f"smsgate {name}: {reason}", file=sys.stderr)
    return 2


def run_on_store(args: argparse.Namespace, work: Callable[[Store], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await open_store(load_config(args.config).db)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


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
    if len(named) != 1:
        found = "several accounts are" if named else "no account is"
        raise CommandError(f"{found} called {name_or_id!r}; give the account id")
    return named[0]


def webhook_url(value: str) -> str | None:
    """A URL given to a command: checked as callback URLs are; "" removes the setting."""
    if not value:
        return None
    try:
        return check_url(value, None)
    except GatewayError as exc:
        raise CommandError(f"{value}: {exc.detail or exc}") from None
