"""`smsgate account create`: a new account in the database (--db, SMSGATE_DB or --config), its
API key, SMPP password and callback signing secret printed once. A name, API key or SMPP
system_id another account has is refused with what clashes, and so is a supplied credential that
breaks a rule of `smsgate.domain.credentials` (the minimum lengths are settings)."""

import argparse
import json
import time
from typing import Any

from smsgate.cli.common import CommandError, refuse, run_on_store
from smsgate.config import ConfigError, load_config
from smsgate.domain.account import (
    DEFAULT_RATE,
    Account,
    hash_api_key,
    hash_password,
    new_api_key,
)
from smsgate.domain.credentials import (
    SMPP_MAX_PASSWORD,
    SMPP_MAX_SYSTEM_ID,
    CredentialError,
    check_api_key,
    check_smpp_password,
    check_system_id,
)
from smsgate.domain.ids import new_id
from smsgate.store import DuplicateError, Store, StoreError


async def _clash(store: Store, name: str, key_hash: str, system_id: str | None) -> str | None:
    """What of the new account another account already has, or None."""
    for other in await store.list_accounts():
        if other.name == name:
            return f"an account is already called {name!r} (id {other.id})"
    other_with_key = await store.account_by_api_key_hash(key_hash)
    if other_with_key is not None:
        return f"the API key is already account {other_with_key.name!r}'s"
    if system_id is not None:
        other_with_login = await store.account_by_system_id(system_id)
        if other_with_login is not None:
            return f"SMPP system_id {system_id!r} is already account {other_with_login.name!r}'s"
    return None


def _checked(args: argparse.Namespace) -> str:
    """The account's name; CommandError for what cannot make an account."""
    name: str = args.name.strip()
    if not name:
        raise CommandError("--name is empty; give the account a name")
    if bool(args.smpp_system_id) != bool(args.smpp_password):
        raise CommandError("give both --smpp-system-id and --smpp-password")
    config = load_config(args.config)
    try:
        if args.api_key is not None:
            check_api_key(args.api_key, config.api_key_min_length)
        if args.smpp_system_id:
            check_system_id(args.smpp_system_id)
            check_smpp_password(args.smpp_password, config.smpp_password_min_length)
    except CredentialError as exc:
        raise CommandError(str(exc)) from None
    if args.rate <= 0:
        raise CommandError("--rate must be above 0 messages per second")
    return name


def _account_create(args: argparse.Namespace) -> int:
    async def create(store: Store) -> dict[str, object]:
        key = args.api_key or new_api_key()
        account = Account(
            id=new_id(),
            name=name,
            api_key_hash=hash_api_key(key),
            smpp_system_id=args.smpp_system_id or None,
            smpp_password_hash=hash_password(args.smpp_password) if args.smpp_password else None,
            rate_limit=args.rate,
            created_at=time.time(),
        )
        clash = await _clash(store, name, account.api_key_hash or "", account.smpp_system_id)
        if clash is not None:
            raise CommandError(clash)
        try:
            await store.create_account(account)
        except DuplicateError:
            # another command created a clashing account between the check and the write
            raise CommandError(
                await _clash(store, name, account.api_key_hash or "", account.smpp_system_id)
                or "the API key or SMPP system_id is already another account's"
            ) from None
        return {
            "id": account.id,
            "name": account.name,
            "api_key": key,
            "smpp_system_id": account.smpp_system_id,
            "smpp_password": args.smpp_password,
            "rate_limit": account.rate_limit,
            # shown once, like the key: callbacks are signed with it (docs/callbacks.md)
            "webhook_secret": account.webhook_secret,
        }

    try:
        name = _checked(args)
        result = run_on_store(args, create)
    except (CommandError, StoreError, ConfigError, CredentialError) as exc:
        return refuse("account create", exc)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def add_create_command(account_commands: Any) -> None:
    """`smsgate account create --name NAME ...`"""
    create = account_commands.add_parser(
        "create", help="create an account (prints its API key and signing secret once)"
    )
    create.add_argument("--name", required=True, help="unique, not empty")
    create.add_argument(
        "--api-key",
        help="default: a new random key; at least api_key_min_length (24) letters, digits, -_.~",
    )
    create.add_argument(
        "--smpp-system-id", help=f"SMPP login, unique, 1 to {SMPP_MAX_SYSTEM_ID} ASCII characters"
    )
    create.add_argument(
        "--smpp-password",
        help=f"smpp_password_min_length (6) to {SMPP_MAX_PASSWORD} ASCII characters",
    )
    create.add_argument("--rate", type=float, default=DEFAULT_RATE, help="messages per second")
    create.add_argument("--config", help="TOML configuration file")
    create.add_argument("--json", action="store_true", help="one JSON object")
    create.set_defaults(func=_account_create)
