"""`smsgate outbox dead` lists the outbox's dead letters (items given up: state abandoned);
`smsgate outbox replay` puts them back to pending, attempts 0, due at once. A running gateway
picks replayed items up at its next poll (docs/outbox.md)."""

import argparse
import json
import time
from typing import Any

from smsgate.cli.common import CommandError, run_on_store, store_command
from smsgate.domain.outbox import OutboxItem
from smsgate.store import Store


def _dead(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[OutboxItem]:
        return await store.dead_letters(
            channel=args.channel, account_id=args.account, limit=args.limit
        )

    items = run_on_store(args, work)
    if args.json:
        print(json.dumps([_view(item) for item in items]))
        return 0
    for item in items:
        print(f"{item.id}  {item.channel:4}  {item.account_id}  {item.event:10}  "
              f"attempts {item.attempts}  {item.last_error or ''}")  # fmt: skip
    print(f"{len(items)} dead letter(s)")
    return 0


def _replay(args: argparse.Namespace) -> int:
    if bool(args.ids) == args.all:
        raise CommandError("give item ids or --all")
    if args.channel is not None and not args.all:
        raise CommandError("--channel goes with --all")

    async def work(store: Store) -> int:
        return await store.outbox_replay(args.ids or None, time.time(), channel=args.channel)

    replayed = run_on_store(args, work)
    print(json.dumps({"replayed": replayed}))
    return 0


def _view(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "channel": item.channel,
        "account_id": item.account_id,
        "subject_id": item.subject_id,
        "event": item.event,
        "url": item.url,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def add_outbox_commands(commands: Any) -> None:
    """`smsgate outbox dead|replay ...`"""
    outbox = commands.add_parser("outbox", help="list and replay the outbox's dead letters")
    actions = outbox.add_subparsers(dest="outbox_command", required=True)
    dead = actions.add_parser("dead", help="list the items given up, newest first")
    dead.add_argument("--channel", choices=["http", "smpp"], help="of one channel only")
    dead.add_argument("--account", help="of one account (its id) only")
    dead.add_argument("--limit", type=int, default=50, help="at most this many (1-1000)")
    dead.add_argument("--json", action="store_true", help="print JSON")
    dead.add_argument("--config", help="TOML configuration file")
    dead.set_defaults(func=store_command("outbox dead", _dead))
    replay = actions.add_parser("replay", help="put dead letters back: pending, due at once")
    replay.add_argument("ids", nargs="*", help="the items' ids")
    replay.add_argument("--all", action="store_true", help="every dead letter (of --channel)")
    replay.add_argument("--channel", choices=["http", "smpp"], help="with --all: of one channel")
    replay.add_argument("--config", help="TOML configuration file")
    replay.set_defaults(func=store_command("outbox replay", _replay))
