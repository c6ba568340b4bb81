"""`smsgate queue`: what waits, from the database (--db, SMSGATE_DB or --config): messages not
final yet by account and status (accepted, scheduled, queued, sending, and sent: waiting for a
receipt), with how old the oldest is and, for scheduled ones, when the next is due; and the
outbox (callbacks, SMPP receipts and MO owed to customers) by channel: pending items and dead
letters (`smsgate outbox dead|replay`)."""

import argparse
import json
import time
from typing import Any

from smsgate.cli.common import find_account, run_on_store, store_command
from smsgate.cli.table import age, iso, table
from smsgate.domain.status import Status
from smsgate.store import Store
from smsgate.store.reads.messages import Waiting
from smsgate.store.reads.outbox import OutboxDepth

_STATUS_NOTE = {
    Status.SENT: "sent (awaiting receipt)",
}


def _queue(args: argparse.Namespace) -> int:
    async def work(store: Store) -> tuple[list[Waiting], list[OutboxDepth], dict[str, str]]:
        account_id = None
        if args.account:
            account_id = (await find_account(store, args.account)).id
        names = {a.id: a.name for a in await store.list_accounts()}
        return (
            await store.waiting_messages(account_id),
            await store.outbox_depth(account_id),
            names,
        )

    waiting, outbox, names = run_on_store(args, work)
    now = time.time()
    messages = [
        {
            "account": names.get(w.account_id, w.account_id),
            "account_id": w.account_id,
            "status": w.status.value,
            "count": w.messages,
            "oldest_age": age(now - w.oldest),
            "next_due": iso(w.next_scheduled) if w.status is Status.SCHEDULED else None,
        }
        for w in waiting
    ]
    owed = [
        {
            "channel": d.channel,
            "state": "dead" if d.state.value == "abandoned" else d.state.value,
            "count": d.items,
            "oldest_age": age(now - d.oldest),
        }
        for d in outbox
    ]
    if args.json:
        print(json.dumps({"messages": messages, "outbox": owed, "totals": _totals(waiting)}))
        return 0
    print("messages not final yet")
    rows = [
        {**m, "status": _STATUS_NOTE.get(w.status, w.status.value)}
        for m, w in zip(messages, waiting, strict=True)
    ]
    for row in rows:
        del row["account_id"]
    print(table(rows, empty="(none)"))
    totals = _totals(waiting)
    if totals:
        print("total: " + ", ".join(f"{status} {n}" for status, n in totals.items()))
    print()
    print("outbox (owed to customers)")
    print(table(owed, empty="(nothing owed, no dead letters)"))
    return 0


def _totals(waiting: list[Waiting]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for w in waiting:
        totals[w.status.value] = totals.get(w.status.value, 0) + w.messages
    return totals


def add_queue_command(commands: Any) -> None:
    """`smsgate queue [--account ACCOUNT]`"""
    queue = commands.add_parser(
        "queue", help="messages waiting by status and account; the outbox by channel"
    )
    queue.add_argument("--account", help="only this account's (id or name)")
    queue.add_argument("--json", action="store_true", help="one JSON object")
    queue.add_argument("--config", help="TOML configuration file")
    queue.set_defaults(func=store_command("queue", _queue))
