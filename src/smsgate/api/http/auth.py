"""API keys in `Authorization: Bearer ...`, looked up by their hash, cached briefly."""

import time
from typing import Final

from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.errors import GatewayError
from smsgate.store.base import Store

_TTL: Final = 30.0  # seconds an account stays cached: a disabled key stops working by then
_MAX_CACHED: Final = 10_000


class ApiKeyAuth:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[Account | None, float]] = {}

    async def account(self, authorization: str | None) -> Account:
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayError("unauthorized", "send the API key as 'Authorization: Bearer KEY'")
        return await self.by_key(authorization[7:].strip())

    async def by_key(self, key: str) -> Account:
        """The enabled account whose API key is `key` (as any interface passes it)."""
        key_hash = hash_api_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and now - cached[1] < _TTL:
            account = cached[0]
        else:
            account = await self.store.account_by_api_key_hash(key_hash)
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key_hash] = (account, now)
        if account is None:
            raise GatewayError("unauthorized", "unknown API key")
        if not account.enabled:
            raise GatewayError("forbidden", "the account is disabled")
        return account

    async def by_user_and_key(self, user: str | None, key: str | None) -> Account:
        """The account of API key `key` when `user` names it (its id or name): the dialects
        whose clients send a user and a key."""
        if not user or not key:
            raise GatewayError("unauthorized", "a user and an API key are required")
        account = await self.by_key(key)
        if user not in (account.id, account.name):
            raise GatewayError("unauthorized", "the user does not match the API key")
        return account
