"""`smsgate account create`: a new account in the database (SMSGATE_DB or --config), its API key
and SMPP password printed once."""

import argparse
import json
import time
from typing import Any

from smsgate.cli.common import refuse, run_on_store
from smsgate.config import ConfigError
from smsgate.domain.account import (
    DEFAULT_RATE,
    Account,
    hash_api_key,
    hash_password,
    new_api_key,
)
from smsgate.domain.ids import new_id
from smsgate.store import Store, StoreError


def _account_create(args: argparse.Namespace) -> int:
    async def create(store: Store) -> dict[str, object]:
        key = args.api_key or new_api_key()
        account = Account(
            id=new_id(),
            name=args.name,
            api_key_hash=hash_api_key(key),
            smpp_system_id=args.smpp_system_id,
            smpp_password_hash=hash_password(args.smpp_password) if args.smpp_password else None,
            rate_limit=args.rate,
            created_at=time.time(),
        )
        await store.create_account(account)
        return {
            "id": account.id,
            "name": account.name,
            "api_key": key,
            "smpp_system_id": account.smpp_system_id,
            "smpp_password": args.smpp_password,
            "rate_limit": account.rate_limit,
        }

    if bool(args.smpp_system_id) != bool(args.smpp_password):
        return refuse("account create", "give both --smpp-system-id and --smpp-password")
    try:
        result = run_on_store(args, create)
    except (StoreError, ConfigError) as exc:
        return refuse("account create", exc)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def add_create_command(account_commands: Any) -> None:
    """`smsgate account create --name NAME ...`"""
    create = account_commands.add_parser("create", help="create an account")
    create.add_argument("--name", required=True)
    create.add_argument("--api-key", help="default: a new random key")
    create.add_argument("--smpp-system-id")
    create.add_argument("--smpp-password")
    create.add_argument("--rate", type=float, default=DEFAULT_RATE, help="messages per second")
    create.add_argument("--config", help="TOML configuration file")
    create.add_argument("--json", action="store_true", help="one JSON object")
    create.set_defaults(func=_account_create)
