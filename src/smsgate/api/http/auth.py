"""API keys in `Authorization: Bearer ...`, looked up by their hash; and the account's address
allow-list, which every HTTP interface checks once it knows the account. Any live key of an
account opens it: its first key or one of the others (`api_keys`), found by the same read.

An account is cached for a few seconds: reading it from the store on every request costs
about 0.2 ms, a good share of a request's whole cost. A key rotated or revoked or an account
suspended (`smsgate account rotate-key|revoke-key|suspend`, run in another process or on another
node) stops working once the gateway's configuration watch sees the change (`[engine]
config_poll_interval`, 1 s), and within `KEY_CACHE_TTL` at worst. A change made through this
node's console (revoke, rotate, suspend) drops the cache at once (`Administration` ->
`ConfigWatch.changed_here` -> `forget`)."""

import logging
import time
from typing import Final

from starlette.requests import Request

from smsgate.api.http.address_guard import AddressGuard
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.allow_list import address_allowed
from smsgate.domain.errors import GatewayError
from smsgate.engine.queries import Queries
from smsgate.log_limits import HTTP_LOG_INTERVAL, LogLimiter

KEY_CACHE_TTL: Final = 5.0  # seconds an account stays cached
_MAX_CACHED: Final = 10_000

log = logging.getLogger(__name__)


class ApiKeyAuth:
    """`failures`: wrong credentials counted per address, shared by every HTTP interface; an
    address over its limit is refused (address_blocked, 429) before any key is looked up."""

    def __init__(self, queries: Queries, failures: AddressGuard) -> None:
        self.queries = queries
        self.failures = failures
        self._cache: dict[str, tuple[Account | None, float]] = {}
        self._log = LogLimiter(log, interval=HTTP_LOG_INTERVAL)

    def forget(self) -> None:
        """Drop the cached accounts: one changed elsewhere (suspended, its key rotated)."""
        self._cache.clear()

    def failed(self, address: str | None) -> None:
        """Count wrong credentials from `address` (any interface's)."""
        self.failures.refused(address)
        self._log.note("HTTP authentication failures", f"from {address}")

    async def account(self, request: Request) -> Account:
        """The account of the request's bearer key, if the request's address may use it."""
        return await self.bearer(request.headers.get("authorization"), client_address(request))

    async def bearer(self, authorization: str | None, address: str | None) -> Account:
        """The account of an `Authorization` header's bearer key, if `address` may use it."""
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayError("unauthorized", "send the API key as 'Authorization: Bearer KEY'")
        account = await self.by_key(authorization[7:].strip(), address)
        check_address(account, address)
        return account

    async def by_key(self, key: str, address: str | None) -> Account:
        """The enabled account whose API key is `key` (as any interface passes it), asked
        from `address`."""
        self.failures.check(address)
        key_hash = hash_api_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and now - cached[1] < KEY_CACHE_TTL:
            account = cached[0]
        else:
            account = await self.queries.account_by_api_key_hash(key_hash)
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key_hash] = (account, now)
        if account is None:
            self.failed(address)
            raise GatewayError("unauthorized", "unknown API key")
        if not account.enabled:
            raise GatewayError("forbidden", "the account is disabled")
        return account

    async def by_user_and_key(
        self, user: str | None, key: str | None, address: str | None
    ) -> Account:
        """The account of API key `key` when `user` names it (its id or name): the dialects
        whose clients send a user and a key."""
        if not user or not key:
            raise GatewayError("unauthorized", "a user and an API key are required")
        account = await self.by_key(key, address)
        if user not in (account.id, account.name):
            self.failed(address)
            raise GatewayError("unauthorized", "the user does not match the API key")
        return account


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def check_address(account: Account, address: str | None) -> None:
    """GatewayError "forbidden" when the account's allow-list leaves `address` out."""
    if not address_allowed(account.ip_allow, address):
        raise GatewayError("forbidden", f"requests from {address} are not allowed")
