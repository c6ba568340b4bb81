"""`smsgate account callbacks`: where an account's status callbacks go and how they look and are
signed (docs/callbacks.md). A dialect's client wants its platform's shape and signature: a Reach
account takes `--format reach --signature reach --secret <its API key>`.

Every account has a signing secret from its creation; `--rotate-secret` draws a new one and
prints it once, `--secret ''` turns signing off. Otherwise the secret is never shown."""

import argparse
import json
from dataclasses import replace
from typing import Any

from smsgate.api.http.dialects import CALLBACK_FORMATS
from smsgate.callbacks.signing import SCHEMES
from smsgate.cli.common import (
    CommandError,
    find_account,
    run_on_store,
    store_command,
    webhook_url,
)
from smsgate.domain.account import new_webhook_secret
from smsgate.store import Store


def _callbacks(args: argparse.Namespace) -> int:
    """Set (or show) an account's callback URL, secret, signature scheme and format; an empty
    value goes back to the default."""

    if args.rotate_secret and args.secret is not None:
        raise CommandError("give --secret or --rotate-secret, not both")

    async def work(store: Store) -> dict[str, Any]:
        account = await find_account(store, args.account)
        changes: dict[str, Any] = {}
        if args.url is not None:
            changes["callback_url"] = webhook_url(args.url)
        if args.secret is not None:
            changes["webhook_secret"] = args.secret or None
        if args.rotate_secret:
            changes["webhook_secret"] = new_webhook_secret()
        if args.signature is not None:
            changes["signature"] = args.signature or None
        if args.format is not None:
            changes["callback_format"] = args.format or None
        if changes:
            account = replace(account, **changes)
            await store.update_account(account)
        shown = {"secret": account.webhook_secret} if args.rotate_secret else {}
        return {
            "account_id": account.id,
            "callback_url": account.callback_url,
            "signed": account.webhook_secret is not None,
            # the secret itself only when drawn here: shown once, as at creation
            "secret": "set" if account.webhook_secret else None,
            **shown,
            "signature": account.signature or "native",
            "format": account.callback_format or "native",
        }

    print(json.dumps(run_on_store(args, work)))
    return 0


def add_callback_commands(account_commands: Any) -> None:
    """`smsgate account callbacks ...`"""
    callbacks = account_commands.add_parser(
        "callbacks", help="set or show an account's status callbacks (URL, secret, shape)"
    )
    callbacks.add_argument("account", help="account id or name")
    callbacks.add_argument("--url", help="default callback URL ('' removes it)")
    callbacks.add_argument(
        "--secret", help="HMAC key of the signatures, your own ('' turns signing off)"
    )
    callbacks.add_argument(
        "--rotate-secret",
        action="store_true",
        help="draw a new HMAC key and print it once (also turns signing back on)",
    )
    callbacks.add_argument(
        "--signature", choices=["", *SCHEMES], help="signature scheme ('': native)"
    )
    callbacks.add_argument(
        "--format", choices=["", *CALLBACK_FORMATS], help="a dialect's shape ('': native)"
    )
    callbacks.add_argument("--config", help="TOML configuration file")
    callbacks.set_defaults(func=store_command("account callbacks", _callbacks))
