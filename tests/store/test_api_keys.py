"""An account's API keys beyond its first, on both backends: any of them finds the account in
one read, a revoked one nothing; every change bumps the accounts' configuration version (so that
other nodes drop their key caches); deleting the account deletes its keys."""

import pytest

from smsgate.domain.api_keys import ApiKey
from smsgate.store import DuplicateError, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_account


def _key(account_id: str, key_id: str, label: str = "", at: float = 1.0) -> ApiKey:
    return ApiKey(id=key_id, account_id=account_id, label=label, created_at=at)


def test_any_live_key_finds_its_account_and_a_revoked_one_nothing(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        acme, other = new_account("acme", key_hash="a" * 64), new_account("other")
        await s.create_account(acme)
        await s.create_account(other)
        version = (await s.config_versions())["accounts"]
        deploy = _key(acme.id, "k1", "deploy 2026-12", 10.5)
        await s.add_api_key(deploy, "b" * 64)
        await s.add_api_key(_key(acme.id, "k2"), "c" * 64)
        await s.add_api_key(_key(other.id, "k3", "theirs"), "d" * 64)
        assert (await s.config_versions())["accounts"] > version

        for key_hash in ("a" * 64, "b" * 64, "c" * 64):
            assert await s.account_by_api_key_hash(key_hash) == acme
        assert await s.account_by_api_key_hash("d" * 64) == other
        assert await s.account_by_api_key_hash("e" * 64) is None
        assert await s.api_keys(acme.id) == [deploy, _key(acme.id, "k2")]
        assert await s.count_api_keys(acme.id) == 2

        with pytest.raises(DuplicateError):
            await s.add_api_key(_key(other.id, "k4"), "b" * 64)

        version = (await s.config_versions())["accounts"]
        assert not await s.delete_api_key(other.id, "k1")  # not that account's key
        assert await s.delete_api_key(acme.id, "k1")
        assert not await s.delete_api_key(acme.id, "k1")
        assert (await s.config_versions())["accounts"] > version
        assert await s.account_by_api_key_hash("b" * 64) is None
        assert await s.account_by_api_key_hash("c" * 64) == acme
        assert await s.account_by_api_key_hash("a" * 64) == acme

    store.run(body)


def test_deleting_an_account_deletes_its_keys(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        gone, empty, kept = new_account("gone"), new_account("empty"), new_account("kept")
        for account in (gone, empty, kept):
            await s.create_account(account)
        await s.add_api_key(_key(gone.id, "g1"), "1" * 64)
        await s.add_api_key(_key(gone.id, "g2"), "2" * 64)
        await s.add_api_key(_key(empty.id, "e1"), "3" * 64)
        await s.add_api_key(_key(kept.id, "k1"), "4" * 64)

        deleted = await s.delete_account(gone.id)
        assert deleted["api_keys"] == 2 and deleted["accounts"] == 1
        assert await s.delete_empty_account(empty.id)
        for key_hash in ("1" * 64, "2" * 64, "3" * 64):
            assert await s.account_by_api_key_hash(key_hash) is None
        assert await s.api_keys(gone.id) == [] and await s.api_keys(empty.id) == []
        assert await s.account_by_api_key_hash("4" * 64) == kept

    store.run(body)
