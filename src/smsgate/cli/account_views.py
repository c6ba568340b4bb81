"""`smsgate account list` and `smsgate account show ACCOUNT`: what is stored for accounts, from
the database (--db, SMSGATE_DB or --config). Credentials are never shown, only whether each is
set: the store keeps hashes of the API key and SMPP password, and the signing secret is shown
once by `account create` and `account callbacks --rotate-secret`."""

import argparse
import json
import time
from typing import Any

from smsgate.cli.common import find_account, run_on_store, store_command
from smsgate.cli.table import age, iso, show
from smsgate.domain.account import Account
from smsgate.domain.pricing import from_micros
from smsgate.store import Store


def _balance(micros: int | None, account: Account) -> str:
    if micros is None:
        return "postpaid"
    currency = f" {account.currency}" if account.currency else ""
    return f"{from_micros(micros)}{currency}"


def _row(account: Account, balances: dict[str, int]) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "enabled": account.enabled,
        "smpp_system_id": account.smpp_system_id,
        "rate": account.rate_limit,
        "balance": _balance(balances.get(account.id), account),
        "callback_url": account.callback_url,
    }


def _list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        balances = await store.balances()
        accounts = await store.list_accounts()
        if args.suspended:
            accounts = [a for a in accounts if not a.enabled]
        return [_row(account, balances) for account in accounts]

    rows = run_on_store(args, work)
    show(rows, args.json, empty="(no accounts)")
    return 0


def details(account: Account, balance: int | None, other_keys: int = 0) -> dict[str, Any]:
    """Everything stored for the account but its secrets, which are said set or not;
    `other_keys`: how many API keys it has beyond its first (`smsgate account keys`)."""
    return {
        "id": account.id,
        "name": account.name,
        "enabled": account.enabled,
        "created_at": iso(account.created_at),
        "api_key": "set" if account.api_key_hash else "none",
        "other_api_keys": other_keys,
        "smpp_system_id": account.smpp_system_id,
        "smpp_password": "set" if account.smpp_password_hash else "none (SMPP refused)",
        "rate": account.rate_limit,
        "balance": _balance(balance, account),
        "currency": account.currency,
        "callback_url": account.callback_url,
        "callback_format": account.callback_format,
        "signature": account.signature,
        "webhook_secret": "set" if account.webhook_secret else "none (callbacks unsigned)",
        "inbound_url": account.inbound_url,
        "opt_out_keywords": account.opt_out_keywords,
        "opt_in_keywords": account.opt_in_keywords,
        "dedup_window": account.dedup_window,
        "ip_allow": account.ip_allow,
        "bot_id": account.bot_id,
        "retention": account.retention,
        "data_coding_0": account.data_coding_0,
    }


def _show(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        stored = await store.balance(account.id)
        other_keys = await store.count_api_keys(account.id)
        found = details(account, None if stored is None else stored[0], other_keys)
        now = time.time()
        found["waiting"] = {
            w.status.value: {"count": w.messages, "oldest_age": age(now - w.oldest)}
            for w in await store.waiting_messages(account.id)
        }
        return found

    found = run_on_store(args, work)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    waiting = found.pop("waiting")
    width = max(map(len, found))
    for key, value in found.items():
        print(f"{key:<{width}}  {'-' if value is None else value}")
    line = ", ".join(f"{s} {w['count']} (oldest {w['oldest_age']})" for s, w in waiting.items())
    print(f"{'waiting':<{width}}  {line or 'nothing'}")
    return 0


def add_account_view_commands(account_commands: Any) -> None:
    """`smsgate account list|show`"""
    listing = account_commands.add_parser("list", help="every account, one line each")
    listing.add_argument("--suspended", action="store_true", help="only suspended accounts")
    listing.set_defaults(func=store_command("account list", _list))
    detail = account_commands.add_parser(
        "show", help="an account's settings (secrets only said set or not), what it has waiting"
    )
    detail.add_argument("account", help="account id or name")
    detail.set_defaults(func=store_command("account show", _show))
    for sub in (listing, detail):
        sub.add_argument("--json", action="store_true", help="JSON")
        sub.add_argument("--config", help="TOML configuration file")
