"""`smsgate account keys|add-key|revoke-key ACCOUNT`: an account's API keys beyond its first
(the one `account create` prints and `rotate-key` replaces), on the database (--db, SMSGATE_DB
or --config). Any live key opens the HTTP APIs as the account, so keys change without
downtime: add a key, deploy it, revoke the old one.

- keys: the other keys' ids, labels and creation times (a secret is never shown again).
- add-key: one more key, printed once; the account's other keys keep working.
- revoke-key: one key by its id; a running gateway refuses it within about a second (its
  configuration watch, `[engine] config_poll_interval`; at most 5 seconds)."""

import argparse
import json
from typing import Any

from smsgate.cli.common import CommandError, find_account, run_on_store, store_command
from smsgate.cli.table import iso, show
from smsgate.domain.api_keys import MAX_LABEL, ApiKey
from smsgate.domain.errors import GatewayError
from smsgate.engine.administration import Administration
from smsgate.engine.clock import SystemClock
from smsgate.store import Store


def _shown(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "label": key.label, "created": iso(key.created_at)}


def _admin(store: Store) -> Administration:
    # no gateway runs in this process: the others see the change through the store
    return Administration(store, SystemClock())


def _list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> tuple[bool, list[dict[str, Any]]]:
        account = await find_account(store, args.account)
        keys = await _admin(store).api_keys(account.id)
        return account.api_key_hash is not None, [_shown(k) for k in keys]

    first, rows = run_on_store(args, work)
    if args.json:
        print(json.dumps({"first_key": first, "keys": rows}))
    else:
        print(f"first key: {'set' if first else 'none'}")
        show(rows, False, empty="no other keys")
    return 0


def _add(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        try:
            key, secret = await _admin(store).add_api_key(account.id, args.label)
        except GatewayError as error:
            raise CommandError(error.detail or str(error)) from None
        return {"account_id": account.id, **_shown(key), "api_key": secret}

    result = run_on_store(args, work)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"key id: {result['id']}")
        print(f"api_key: {result['api_key']}")
        print("shown once; the account's other keys keep working until revoked")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        try:
            key = await _admin(store).revoke_account_key(account.id, args.key_id)
        except GatewayError as error:
            raise CommandError(error.detail or str(error)) from None
        return {"account_id": account.id, **_shown(key)}

    result = run_on_store(args, work)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"key {result['id']} revoked; a running gateway refuses it within seconds")
    return 0


def add_account_key_commands(account_commands: Any) -> None:
    """`smsgate account keys|add-key|revoke-key ACCOUNT`"""
    listing = account_commands.add_parser(
        "keys", help="list the account's API keys beyond its first (ids and labels)"
    )
    listing.set_defaults(func=store_command("account keys", _list))
    add = account_commands.add_parser(
        "add-key", help="one more API key, printed once; the other keys keep working"
    )
    add.add_argument("--label", help=f"what the key is for (up to {MAX_LABEL} characters)")
    add.set_defaults(func=store_command("account add-key", _add))
    revoke = account_commands.add_parser(
        "revoke-key", help="revoke one of the account's keys by its id (see `account keys`)"
    )
    revoke.set_defaults(func=store_command("account revoke-key", _revoke))
    for sub in (listing, add, revoke):
        sub.add_argument("account", help="account id or name")
        sub.add_argument("--json", action="store_true", help="one JSON document")
        sub.add_argument("--config", help="TOML configuration file")
    revoke.add_argument("key_id", help="the key's id")
