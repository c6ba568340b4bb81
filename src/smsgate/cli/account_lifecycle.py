"""`smsgate account suspend|resume|rotate-key|delete ACCOUNT`, on the database (--db,
SMSGATE_DB or --config); a running gateway reads an account at each bind, and drops the accounts
it keeps for HTTP requests once it sees the change (`[engine] config_poll_interval`, 1 s; at
most 5 seconds), so each takes effect within about a second.

- suspend: the account's `enabled` flag off. Its HTTP requests are refused (403 `forbidden`,
  every API and dialect) and its new SMPP binds too (ESME_RBINDFAIL); a bind already open
  stays until it closes (or the gateway restarts). What it already sent goes on:
  its messages are sent and their callbacks delivered; SMPP receipts and MO wait in the outbox
  until it is resumed and binds again. resume turns the flag back on.
- rotate-key: a new API key, printed once; the old one is refused (401) within about a second.
- delete: refused without --yes, for an account not suspended first (so nothing new comes in
  meanwhile), and while a gateway is still working on any of its messages (accepted,
  scheduled, queued or sending: wait for them, or cancel them). Then everything stored for it is
  deleted: its messages with their history (sent ones too, as retention deletes them: a receipt
  coming later matches nothing), outbox items owed or not, MO, numbers (MO to them is then
  unclaimed), opt-outs, balance, API keys, then the account. Run again, it finishes a delete stopped
  half-way."""

import argparse
import json
from dataclasses import replace
from typing import Any, Final

from smsgate.cli.common import CommandError, find_account, run_on_store, store_command
from smsgate.domain.account import hash_api_key, new_api_key
from smsgate.store import DuplicateError, Store

SUSPENDED: Final = (
    "HTTP requests with its API key are refused (403) and its new SMPP binds too "
    "(ESME_RBINDFAIL; a bind already open stays until it closes or the gateway restarts); "
    "its messages already accepted are still sent and their callbacks delivered"
)


def _set_enabled(args: argparse.Namespace) -> int:
    enable = args.account_command == "resume"

    async def work(store: Store) -> tuple[str, bool]:
        account = await find_account(store, args.account)
        changed = account.enabled != enable
        if changed:
            await store.update_account(replace(account, enabled=enable))
        return account.name, changed

    name, changed = run_on_store(args, work)
    state = "active" if enable else "suspended"
    print(f"account {name!r} {'is now' if changed else 'was already'} {state}")
    if not enable:
        print(SUSPENDED)
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, str]:
        account = await find_account(store, args.account)
        key = new_api_key()
        try:
            await store.update_account(replace(account, api_key_hash=hash_api_key(key)))
        except DuplicateError:  # 256 random bits: another account's key is beyond belief
            raise CommandError("the new key is another account's; run the command again") from None
        return {"id": account.id, "name": account.name, "api_key": key}

    result = run_on_store(args, work)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"api_key: {result['api_key']}")
        print("shown once; a running gateway refuses the old key within seconds")
    return 0


def _delete(args: argparse.Namespace) -> int:
    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        if account.enabled:
            raise CommandError(
                f"account {account.name!r} is active; suspend it first "
                f"(smsgate account suspend {account.id}) so that nothing new comes in"
            )
        unfinished = await store.unfinished_counts(account.id)
        if unfinished:
            counts = ", ".join(f"{n} {status.value}" for status, n in unfinished.items())
            raise CommandError(
                f"account {account.name!r} has messages still being worked on ({counts}); "
                "wait for them to finish, or cancel them, then delete it"
            )
        if not args.yes:
            raise CommandError(
                f"deleting account {account.name!r} ({account.id}) deletes its messages, MO, "
                "numbers, opt-outs, balance and API keys for good; add --yes to do it"
            )
        deleted = await store.delete_account(account.id)
        if "unfinished" in deleted:  # accepted meanwhile (an SMPP bind open before suspension)
            raise CommandError(
                f"{deleted['unfinished']} message(s) came in while deleting; the account is "
                "kept: run the command again once they are finished"
            )
        return {"id": account.id, "name": account.name, "deleted": deleted}

    result = run_on_store(args, work)
    if args.json:
        print(json.dumps(result))
    else:
        counts = ", ".join(f"{table} {n}" for table, n in result["deleted"].items() if n)
        print(f"account {result['name']!r} ({result['id']}) deleted; rows: {counts}")
    return 0


def add_account_lifecycle_commands(account_commands: Any) -> None:
    """`smsgate account suspend|resume|rotate-key|delete ACCOUNT`"""
    suspend = account_commands.add_parser(
        "suspend", help="refuse the account's HTTP requests and SMPP binds (its messages go on)"
    )
    suspend.set_defaults(func=store_command("account suspend", _set_enabled))
    resume = account_commands.add_parser("resume", help="let a suspended account in again")
    resume.set_defaults(func=store_command("account resume", _set_enabled))
    rotate = account_commands.add_parser(
        "rotate-key", help="a new API key, printed once; the old one stops working within seconds"
    )
    rotate.add_argument("--json", action="store_true", help="one JSON object")
    rotate.set_defaults(func=store_command("account rotate-key", _rotate_key))
    delete = account_commands.add_parser(
        "delete",
        help="delete a suspended account with its messages, MO, numbers and balance",
    )
    delete.add_argument("--yes", action="store_true", help="really delete it")
    delete.add_argument("--json", action="store_true", help="one JSON object")
    delete.set_defaults(func=store_command("account delete", _delete))
    for sub in (suspend, resume, rotate, delete):
        sub.add_argument("account", help="account id or name")
        sub.add_argument("--config", help="TOML configuration file")
