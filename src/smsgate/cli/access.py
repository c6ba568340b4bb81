"""`smsgate account access`: where an account's HTTP requests and SMPP binds may come from (its
source address allow-list), the KDDI Message Cast bot it answers to and that bot's Webhook URL
(its +message events), how long its messages
are kept and what data_coding 0 means on its SMPP binds (docs/dialects/kddi.md,
docs/dialects/smsc_ru.md, docs/smpp-server.md)."""

import argparse
import json
from dataclasses import replace
from typing import Any

from smsgate.cli.common import (
    CommandError,
    find_account,
    run_on_store,
    store_command,
    webhook_url,
)
from smsgate.domain.account import DATA_CODING_0
from smsgate.domain.allow_list import parse_allow_list
from smsgate.engine.retention import retention_of
from smsgate.store import DuplicateError, Store

_DAY = 86_400.0


def _access(args: argparse.Namespace) -> int:
    """Set (or show) the settings; an empty value goes back to the default."""

    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        changes: dict[str, Any] = {}
        if args.ip_allow is not None:
            try:
                networks = parse_allow_list(args.ip_allow)
            except ValueError as exc:
                raise CommandError(f"--ip-allow: {exc}") from None
            changes["ip_allow"] = " ".join(str(n) for n in networks) or None
        if args.bot_id is not None:
            changes["bot_id"] = args.bot_id or None
        if args.rcs_webhook_url is not None:
            changes["rcs_webhook_url"] = webhook_url(args.rcs_webhook_url)
        if args.retention_days is not None:
            days = args.retention_days
            if days and not (days.replace(".", "", 1).isdigit() and float(days) >= 0):
                raise CommandError("--retention-days: a number of days ('' the default)")
            changes["retention"] = float(days) * _DAY if days else None
        if args.data_coding_0 is not None:
            if args.data_coding_0 not in (*DATA_CODING_0, ""):
                raise CommandError(f"--data-coding-0: one of {', '.join(DATA_CODING_0)}")
            changes["data_coding_0"] = args.data_coding_0 or None
        if changes:
            account = replace(account, **changes)
            try:
                await store.update_account(account)
            except DuplicateError:
                raise CommandError(f"bot {args.bot_id!r} belongs to another account") from None
        kept = retention_of(account)
        return {
            "account_id": account.id,
            "ip_allow": account.ip_allow,
            "bot_id": account.bot_id,
            "rcs_webhook_url": account.rcs_webhook_url,
            "retention_days": None if kept is None else kept / _DAY,
            "data_coding_0": account.data_coding_0 or DATA_CODING_0[0],
        }

    print(json.dumps(run_on_store(args, work)))
    return 0


def add_access_commands(account_commands: Any) -> None:
    """`smsgate account access ...`"""
    access = account_commands.add_parser(
        "access", help="set or show an account's address allow-list, bot and retention"
    )
    access.add_argument("account", help="account id or name")
    access.add_argument(
        "--ip-allow", help="addresses and networks, e.g. \"192.0.2.0/24 2001:db8::1\" ('': any)"
    )
    access.add_argument("--bot-id", help="its KDDI Message Cast bot ('' removes it)")
    access.add_argument(
        "--rcs-webhook-url",
        help="its bot's Webhook URL: +message statuses and users' events ('' removes it)",
    )
    access.add_argument(
        "--retention-days",
        help="days its messages and MO are kept ('': the default, 31 with a bot; 0: kept)",
    )
    access.add_argument(
        "--data-coding-0",
        help="what SMPP data_coding 0 means: gsm (GSM 03.38, the default), ascii or latin1",
    )
    access.add_argument("--config", help="TOML configuration file")
    access.set_defaults(func=store_command("account access", _access))
