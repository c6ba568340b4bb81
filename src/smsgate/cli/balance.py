"""`smsgate account balance`: show, top up, set a prepaid balance, or make an account postpaid;
`smsgate account billing`: an account's currency and identical-request window.

They work on the database (SMSGATE_DB or --config); a running gateway reads the balances again
within seconds, and at once when a message finds the balance short.
"""

import argparse
import json
import time
from decimal import Decimal
from typing import Any

from smsgate.cli.common import CommandError, find_account, run_on_store, store_command
from smsgate.domain.pricing import from_micros, parse_amount, to_micros
from smsgate.store import BalanceError, Store


def _show(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, object]:
        account = await find_account(store, args.account)
        stored = await store.balance(account.id)
        return {
            "account": account.id,
            "prepaid": stored is not None,
            "balance": None if stored is None else str(from_micros(stored[0])),
            "currency": account.currency,
        }

    _print(run_on_store(args, work), args.json)
    return 0


def _change(args: argparse.Namespace) -> int:
    """top-up AMOUNT (negative: take off), set AMOUNT, or postpaid."""

    async def work(store: Store) -> dict[str, object]:
        account = await find_account(store, args.account)
        now = time.time()
        if args.balance_command == "postpaid":
            await store.set_balance(account.id, None, now)
            return {"account": account.id, "prepaid": False, "balance": None}
        amount = _amount(args.amount, negative=args.balance_command == "top-up")
        if args.balance_command == "set":
            await store.set_balance(account.id, to_micros(amount), now)
            micros = to_micros(amount)
        else:
            try:
                micros = await store.add_balance(account.id, to_micros(amount), now)
            except BalanceError:
                raise CommandError("the balance cannot go below zero") from None
        return {"account": account.id, "prepaid": True, "balance": str(from_micros(micros))}

    _print(run_on_store(args, work), args.json)
    return 0


def _billing(args: argparse.Namespace) -> int:
    """Set what is given ('' restores the default), then show both settings."""

    async def work(store: Store) -> dict[str, object]:
        account = await find_account(store, args.account)
        if args.currency is not None:
            account.currency = _currency(args.currency)
        if args.dedup_window is not None:
            account.dedup_window = _seconds(args.dedup_window)
        if args.currency is not None or args.dedup_window is not None:
            await store.update_account(account)
        return {
            "account": account.id,
            "currency": account.currency,
            "dedup_window": account.dedup_window,
        }

    _print(run_on_store(args, work), args.json)
    return 0


def _currency(value: str) -> str | None:
    if not value:
        return None
    if len(value) != 3 or not value.isalpha():
        raise CommandError(f"not an ISO 4217 currency code: {value!r}")
    return value.upper()


def _seconds(value: str) -> float | None:
    if not value:
        return None
    seconds = float(value)
    if not 0 <= seconds <= 86_400:
        raise CommandError("the window is 0 (off) to 86400 seconds")
    return seconds


def _amount(value: str, *, negative: bool) -> Decimal:
    if negative and value.startswith("-"):
        return -parse_amount(value[1:])
    return parse_amount(value)


def _print(row: dict[str, object], as_json: bool) -> None:
    print(json.dumps(row) if as_json else "  ".join(f"{k}: {v}" for k, v in row.items()))


def add_balance_commands(account_commands: Any) -> None:
    """`smsgate account balance show|top-up|set|postpaid ACCOUNT [AMOUNT]`"""
    balance = account_commands.add_parser(
        "balance", help="prepaid balance: show, top-up, set, postpaid"
    )
    commands = balance.add_subparsers(dest="balance_command", required=True)
    for name, help_text, amount in (
        ("show", "the balance (postpaid accounts have none)", False),
        ("top-up", "add AMOUNT (negative: take it off); the account becomes prepaid", True),
        ("set", "make the balance AMOUNT; the account becomes prepaid", True),
        ("postpaid", "remove the balance: the account is never refused for money", False),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("account", help="account id or name")
        if amount:
            command.add_argument("amount", help="in the account's currency, e.g. 25.50")
        command.add_argument("--config", help="TOML configuration file")
        command.add_argument("--json", action="store_true", help="one JSON object")
        work = _show if name == "show" else _change
        command.set_defaults(func=store_command(f"account balance {name}", work))

    billing = account_commands.add_parser(
        "billing", help="set or show an account's currency and identical-request window"
    )
    billing.add_argument("account", help="account id or name")
    billing.add_argument("--currency", help="ISO 4217, e.g. EUR ('' for the configured default)")
    billing.add_argument(
        "--dedup-window",
        help="seconds the same message is refused again, 0 off ('' for the default)",
    )
    billing.add_argument("--config", help="TOML configuration file")
    billing.add_argument("--json", action="store_true", help="one JSON object")
    billing.set_defaults(func=store_command("account billing", _billing))
