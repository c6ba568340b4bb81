"""Migration 14: accounts made before every account got a signing secret get one, each its own;
a secret already set is kept, and signing an operator turns off afterwards stays off."""

import asyncio
import re
from dataclasses import replace

from smsgate.store import Store
from tests.store.backends import StoreBackend

BEFORE = 11  # the schema before migration 14 (12 and 13 leave accounts' secrets alone)


def test_accounts_without_a_secret_get_one_by_migration(store: StoreBackend) -> None:
    async def at_previous_version() -> None:
        async with store.make(auto_migrate=False) as s:
            assert await s.migrate(target=BEFORE) == BEFORE
        for account_id, secret in (("old-1", "NULL"), ("old-2", "NULL"), ("kept", "'mine'")):
            await store.fetch(
                "INSERT INTO accounts (id, name, rate_limit, enabled, created_at, webhook_secret)"
                f" VALUES ('{account_id}', '{account_id}', 1, {_true(store)}, 0, {secret})"
            )

    async def upgraded(s: Store) -> None:
        secrets = {a.id: a.webhook_secret for a in await s.list_accounts()}
        assert secrets["kept"] == "mine"
        drawn = [secrets["old-1"], secrets["old-2"]]
        assert all(re.fullmatch("[0-9a-f]{64}", str(secret)) for secret in drawn), drawn
        assert drawn[0] != drawn[1]
        old = await s.get_account("old-1")
        assert old is not None
        await s.update_account(replace(old, webhook_secret=None))  # signing turned off

    async def reopened(s: Store) -> None:
        old = await s.get_account("old-1")
        assert old is not None and old.webhook_secret is None

    asyncio.run(at_previous_version())
    store.run(upgraded)
    store.run(reopened)


def _true(store: StoreBackend) -> str:
    return "1" if store.name == "sqlite" else "TRUE"
