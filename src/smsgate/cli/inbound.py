"""`smsgate` commands for MO: the numbers accounts own, their MO settings and opt-out lists, and
the MO no number claimed. They work on the database (SMSGATE_DB or --config); a running gateway
reads numbers and account settings for each MO, and the opt-out list within about a second."""

import argparse
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from smsgate.cli.common import (
    CommandError,
    find_account,
    run_on_store,
    store_command,
    webhook_url,
)
from smsgate.config import load_config
from smsgate.domain.account import Account
from smsgate.domain.inbound import InboundNumber
from smsgate.domain.mo_routing import DEFAULT_OPT_IN, DEFAULT_OPT_OUT, keywords, normalise_keyword
from smsgate.engine.inbound import route
from smsgate.engine.router import EngineRouter
from smsgate.store import Change, DuplicateError, InboundClaim, Store


def _number(value: str) -> str:
    """Numbers are kept as carriers send them: digits, international ones without "+"."""
    digits = value.strip().removeprefix("+")
    if not digits.isdigit():
        raise CommandError(f"not a phone number or short code: {value!r}")
    return digits


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False) if as_json else "  ".join(map(str, row.values())))


def _numbers_add(args: argparse.Namespace) -> int:
    async def work(store: Store) -> None:
        account = await find_account(store, args.account)
        number = InboundNumber(
            _number(args.number), normalise_keyword(args.keyword), account.id, time.time()
        )
        try:
            await store.add_inbound_number(number)
        except DuplicateError:
            raise CommandError(f"{args.number} {args.keyword or ''} has an owner") from None

    run_on_store(args, work)
    return 0


def _numbers_remove(args: argparse.Namespace) -> int:
    async def work(store: Store) -> bool:
        return await store.remove_inbound_number(
            _number(args.number), normalise_keyword(args.keyword)
        )

    if not run_on_store(args, work):
        raise CommandError(f"{args.number} {args.keyword or ''} has no owner")
    return 0


def _numbers_list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        account_id = None
        if args.account:
            account_id = (await find_account(store, args.account)).id
        names = {a.id: a.name for a in await store.list_accounts()}
        return [
            {
                "number": n.number,
                "keyword": n.keyword or "*",
                "account_id": n.account_id,
                "account": names.get(n.account_id, "?"),
            }
            for n in await store.list_inbound_numbers(account_id)
        ]

    _print(run_on_store(args, work), args.json)
    return 0


def _settings(args: argparse.Namespace) -> int:
    """Set (or show) where an account's MO goes and its opt-out keywords."""

    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        changes: dict[str, Any] = {}
        if args.url is not None:
            changes["inbound_url"] = webhook_url(args.url)
        for field, value in (
            ("opt_out_keywords", args.opt_out_keywords),
            ("opt_in_keywords", args.opt_in_keywords),
        ):
            if value is not None:
                words = " ".join(normalise_keyword(word) for word in value.split())
                changes[field] = words or None
        if changes:
            account = replace(account, **changes)
            await store.update_account(account)
        return {
            "account_id": account.id,
            "inbound_url": account.inbound_url,
            "opt_out_keywords": sorted(keywords(account.opt_out_keywords, DEFAULT_OPT_OUT)),
            "opt_in_keywords": sorted(keywords(account.opt_in_keywords, DEFAULT_OPT_IN)),
        }

    print(json.dumps(run_on_store(args, work)))
    return 0


def _opt_outs(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        account = await find_account(store, args.account)
        return [
            {"number": "+" + o.number, "since": _iso(o.at)}
            for o in await store.opt_outs(account.id)
        ]

    _print(run_on_store(args, work), args.json)
    return 0


def _unclaimed(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        found, _ = await store.list_unclaimed_inbound(
            destination=_number(args.to) if args.to else None, limit=args.limit
        )
        return [
            {
                "id": m.id,
                "received_at": _iso(m.received_at),
                "from": m.source,
                "to": m.destination,
                "text": m.text if m.text is not None else f"(binary) {m.payload.hex()}",
            }
            for m in found
        ]

    _print(run_on_store(args, work), args.json)
    return 0


def _claim(args: argparse.Namespace) -> int:
    """Route the unclaimed MO (to one number, or all) as if it came now: to the accounts that
    own their numbers since, with their webhook items and opt-out changes, in one write."""

    async def work(store: Store) -> tuple[int, int]:
        config = load_config(args.config)
        router = await EngineRouter.load(store, config.engine.default_country)
        found, _ = await store.list_unclaimed_inbound(
            destination=_number(args.to) if args.to else None, limit=args.limit
        )
        owners: dict[str, list[tuple[str, Account]]] = {}
        changes: list[Change] = []
        claimed = 0
        for message in reversed(found):  # oldest first: the outbox keeps their order
            if message.destination not in owners:
                owners[message.destination] = await store.inbound_owners(message.destination)
            routed, extra = route(
                message, owners[message.destination], lambda n: router.destination(n)[0]
            )
            if routed.account_id is not None:
                changes += [InboundClaim(message.id, routed.account_id), *extra]
                claimed += 1
        await store.write(changes)
        return claimed, len(found)

    claimed, seen = run_on_store(args, work)
    print(f"{claimed} of {seen} unclaimed messages claimed; the gateway delivers them")
    return 0


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def add_account_commands(account_commands: Any) -> None:
    """`smsgate account numbers|inbound|opt-outs ...`"""
    numbers = account_commands.add_parser("numbers", help="numbers whose MO goes to an account")
    number_commands = numbers.add_subparsers(dest="numbers_command", required=True)
    add = number_commands.add_parser("add", help="give an account a number (or a keyword on it)")
    add.add_argument("account", help="account id or name")
    add.add_argument("number", help="as the carrier sends it, e.g. +81312345678 or 12345")
    add.add_argument("--keyword", default="", help="only MO whose first word is this")
    add.set_defaults(func=store_command("account numbers add", _numbers_add))
    remove = number_commands.add_parser("remove", help="take a number (or keyword) back")
    remove.add_argument("number")
    remove.add_argument("--keyword", default="")
    remove.set_defaults(func=store_command("account numbers remove", _numbers_remove))
    listing = number_commands.add_parser("list", help="numbers and their owners")
    listing.add_argument("account", nargs="?", help="only this account's")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=store_command("account numbers list", _numbers_list))
    for sub in (add, remove, listing):
        sub.add_argument("--config", help="TOML configuration file")

    settings = account_commands.add_parser(
        "inbound", help="set or show where an account's MO goes and its opt-out keywords"
    )
    settings.add_argument("account", help="account id or name")
    settings.add_argument("--url", help="the MO webhook ('' removes it)")
    settings.add_argument("--opt-out-keywords", help='e.g. "STOP UNSUBSCRIBE"')
    settings.add_argument("--opt-in-keywords", help='e.g. "START"')
    settings.add_argument("--config", help="TOML configuration file")
    settings.set_defaults(func=store_command("account inbound", _settings))

    opt_outs = account_commands.add_parser("opt-outs", help="numbers that opted out")
    opt_outs.add_argument("account", help="account id or name")
    opt_outs.add_argument("--json", action="store_true", help="one JSON object per line")
    opt_outs.add_argument("--config", help="TOML configuration file")
    opt_outs.set_defaults(func=store_command("account opt-outs", _opt_outs))


def add_inbound_commands(commands: Any) -> None:
    """`smsgate inbound unclaimed`"""
    inbound = commands.add_parser("inbound", help="MO messages (in SMSGATE_DB)")
    inbound_commands = inbound.add_subparsers(dest="inbound_command", required=True)
    unclaimed = inbound_commands.add_parser(
        "unclaimed", help="MO to numbers no account owns, newest first"
    )
    unclaimed.add_argument("--to", help="only to this number")
    unclaimed.add_argument("--limit", type=int, default=50, help="at most this many (1-1000)")
    unclaimed.add_argument("--json", action="store_true", help="one JSON object per line")
    unclaimed.add_argument("--config", help="TOML configuration file")
    unclaimed.set_defaults(func=store_command("inbound unclaimed", _unclaimed))
    claim = inbound_commands.add_parser(
        "claim", help="give unclaimed MO to the accounts that own their numbers now"
    )
    claim.add_argument("--to", help="only to this number")
    claim.add_argument("--limit", type=int, default=1000, help="at most this many (1-1000)")
    claim.add_argument("--config", help="TOML configuration file")
    claim.set_defaults(func=store_command("inbound claim", _claim))
