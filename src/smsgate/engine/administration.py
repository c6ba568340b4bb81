"""What the web console changes and reads beyond sending: its users, their logins and sessions,
accounts and their credentials, message templates, the outbox's dead letters, and the
gateway's tables as an operator sees them.

Interfaces hold this object, never the store. Sessions and the login lockout live in the store
so that several nodes behind one address agree on them.
"""

import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Final

from smsgate.domain.account import Account, hash_api_key, new_api_key
from smsgate.domain.api_keys import MAX_KEYS, ApiKey, new_account_key
from smsgate.domain.console_user import (
    ConsoleSession,
    ConsoleUser,
    check_console_password,
    check_user,
    hash_console_password,
    lock_for,
)
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, RouteRow
from smsgate.engine.clock import Clock
from smsgate.store import Store
from smsgate.store.errors import DuplicateError

SESSION_LIFETIME: Final = 8 * 3600.0  # seconds: a working day, then log in again


@functools.cache
def _decoy() -> str:
    """A hash checked when the user does not exist, so an unknown name costs the same time."""
    return hash_console_password("not a password of anyone's")


def session_hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


async def _unwatched(kind: str) -> None:
    return None


class Administration:
    """`changed_here(kind)` is awaited after each change of a kind of configuration made here,
    so that this node's caches of it (the HTTP interface's API keys) drop it at once."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        changed_here: Callable[[str], Awaitable[None]] = _unwatched,
    ) -> None:
        self._store = store
        self.clock = clock
        self._changed_here = changed_here

    # -- console users -------------------------------------------------------------------------

    async def create_user(
        self, name: str, role: str, password: str, account_id: str | None = None
    ) -> ConsoleUser:
        """ConsoleUserError for a bad name, role or password; GatewayError("duplicate") for a
        taken name, ("not_found") for an unknown account."""
        chosen = check_user(name, role, account_id)
        if account_id is not None and await self._store.get_account(account_id) is None:
            raise GatewayError("not_found", f"no account {account_id}")
        user = ConsoleUser(
            name, chosen, account_id, hash_console_password(password), self.clock.time()
        )
        try:
            await self._store.create_console_user(user)
        except DuplicateError:
            raise GatewayError("duplicate", f"a console user is called {name!r}") from None
        return user

    async def set_password(self, name: str, password: str) -> None:
        """A new password ends the user's sessions and lifts a lockout."""
        if not await self._store.set_console_password(name, hash_console_password(password)):
            raise GatewayError("not_found", f"no console user {name!r}")
        await self._store.end_console_sessions(user_name=name)

    async def users(self) -> list[ConsoleUser]:
        return await self._store.console_users()

    async def user(self, name: str) -> ConsoleUser | None:
        return await self._store.console_user(name)

    async def login(self, name: str, password: str) -> ConsoleUser:
        """The user, when the password is its own and it is not locked; each failure in a row
        locks it longer (`lock_for`). GatewayError("unauthorized") or ("address_blocked")."""
        now = self.clock.time()
        user = await self._store.console_user(name) if len(name) <= 64 else None
        if user is None:
            check_console_password(password, _decoy())
            raise GatewayError("unauthorized", "wrong user name or password")
        if user.locked_until > now:
            raise GatewayError(
                "address_blocked",
                f"too many failed logins for {name}; retry in {int(user.locked_until - now) + 1} s",
            )
        if not check_console_password(password, user.password_hash):
            failures = user.failures + 1
            lock = lock_for(failures)
            await self._store.console_login_failed(name, failures, now + lock if lock else 0.0)
            raise GatewayError("unauthorized", "wrong user name or password")
        if user.failures:
            await self._store.console_login_failed(name, 0, 0.0)
        if user.account_id is not None:
            account = await self._store.get_account(user.account_id)
            if account is None or not account.enabled:
                raise GatewayError("forbidden", "the account is suspended")
        return user

    # -- sessions ------------------------------------------------------------------------------

    async def open_session(self, user: ConsoleUser) -> tuple[str, ConsoleSession]:
        """A new session: the cookie's value (shown to the browser only) and the session."""
        cookie = secrets.token_urlsafe(32)
        now = self.clock.time()
        session = ConsoleSession(
            session_hash(cookie), user.name, secrets.token_urlsafe(32), now, now + SESSION_LIFETIME
        )
        await self._store.purge_console_sessions(now)
        await self._store.create_console_session(session)
        return cookie, session

    async def session(self, cookie: str) -> tuple[ConsoleSession, ConsoleUser] | None:
        """The live session of a cookie and its user; None when expired or unknown."""
        if not cookie or len(cookie) > 100:
            return None
        found = await self._store.console_session(session_hash(cookie), self.clock.time())
        if found is None:
            return None
        user = await self._store.console_user(found.user_name)
        return None if user is None else (found, user)

    async def end_session(self, cookie: str) -> None:
        await self._store.end_console_sessions(id_hash=session_hash(cookie))

    # -- accounts ------------------------------------------------------------------------------

    async def accounts(self) -> list[Account]:
        return await self._store.list_accounts()

    async def account(self, account_id: str) -> Account:
        account = await self._store.get_account(account_id)
        if account is None:
            raise GatewayError("not_found", f"no account {account_id}")
        return account

    async def create_account(self, name: str, rate_limit: float) -> tuple[Account, str]:
        """A new account and its API key (shown once)."""
        if not name.strip() or len(name) > 100:
            raise GatewayError("invalid_request", "an account name is 1 to 100 characters")
        if not 0 < rate_limit <= 100_000:
            raise GatewayError("invalid_request", "the rate is 0 to 100000 messages per second")
        key = new_api_key()
        account = Account(
            id=new_id(),
            name=name.strip(),
            api_key_hash=hash_api_key(key),
            rate_limit=rate_limit,
            created_at=self.clock.time(),
        )
        await self._store.create_account(account)
        return account, key

    async def update_account(self, account: Account) -> Account:
        try:
            if not await self._store.update_account(account):
                raise GatewayError("not_found", f"no account {account.id}")
        except DuplicateError as error:
            raise GatewayError("duplicate", str(error)) from None
        # a key rotated or revoked, a suspension: refused by this node from the next request
        await self._changed_here("accounts")
        return account

    async def rotate_api_key(self, account_id: str) -> str:
        """A new API key for the account, returned once; the old one stops working at once on
        this node, and on the others within their configuration watch's interval (1 s), at
        worst the HTTP interface's key cache time (`KEY_CACHE_TTL`, 5 s)."""
        key = new_api_key()
        account = await self.account(account_id)
        await self.update_account(replace(account, api_key_hash=hash_api_key(key)))
        return key

    async def revoke_api_key(self, account_id: str) -> None:
        account = await self.account(account_id)
        await self.update_account(replace(account, api_key_hash=None))

    async def api_keys(self, account_id: str) -> list[ApiKey]:
        """The account's keys beyond its first: id, label and creation time, never a secret."""
        await self.account(account_id)
        return await self._store.api_keys(account_id)

    async def add_api_key(self, account_id: str, label: str | None = None) -> tuple[ApiKey, str]:
        """One more key of the account and its secret, returned once; the account's other keys
        keep working. GatewayError for an unknown account, a bad label or too many keys."""
        await self.account(account_id)
        key, secret, key_hash = new_account_key(account_id, label, self.clock.time())
        if await self._store.count_api_keys(account_id) >= MAX_KEYS:
            raise GatewayError(
                "invalid_request",
                f"the account has {MAX_KEYS} keys beside its first: revoke one first",
            )
        try:
            await self._store.add_api_key(key, key_hash)
        except DuplicateError:  # 256 random bits: another key's hash is beyond belief
            raise GatewayError("duplicate", "the new key is taken; create it again") from None
        return key, secret

    async def revoke_account_key(self, account_id: str, key_id: str) -> ApiKey:
        """Revoke one of the account's keys beyond its first: refused from the next request on
        this node, on the others within their configuration watch's interval (as a rotation).
        GatewayError("not_found") when the account has no such key."""
        found = [k for k in await self.api_keys(account_id) if k.id == key_id]
        if not found or not await self._store.delete_api_key(account_id, key_id):
            raise GatewayError("not_found", f"account {account_id} has no key {key_id}")
        await self._changed_here("accounts")
        return found[0]

    async def delete_account(self, account_id: str) -> None:
        """Only an account without messages; GatewayError("account_not_deletable") otherwise."""
        await self.account(account_id)
        if not await self._store.delete_empty_account(account_id):
            raise GatewayError("account_not_deletable", "suspend it instead")
        await self._changed_here("accounts")

    # -- templates -----------------------------------------------------------------------------

    async def templates(self, account_id: str) -> list[tuple[str, str]]:
        return await self._store.templates(account_id)

    async def save_template(self, account_id: str, name: str, text: str) -> None:
        if not 1 <= len(name) <= 64 or len(text) > 2000:
            raise GatewayError(
                "parameter_too_long", "a template's name is 1 to 64 characters, its text 2000"
            )
        try:
            await self._store.save_template(account_id, name, text, self.clock.time())
        except ValueError as error:
            raise GatewayError("invalid_request", str(error)) from None

    async def delete_template(self, account_id: str, name: str) -> None:
        if not await self._store.delete_template(account_id, name):
            raise GatewayError("not_found", f"no template {name!r}")

    # -- outbox, tables, figures ---------------------------------------------------------------

    async def outbox_depth(self) -> dict[str, int]:
        return await self._store.outbox_totals()

    async def dead_letters(
        self, account_id: str | None = None, limit: int = 100
    ) -> list[OutboxItem]:
        return await self._store.dead_letters(account_id=account_id, limit=limit)

    async def replay(self, ids: list[str]) -> int:
        return await self._store.outbox_replay(ids, self.clock.time())

    async def error_counts(
        self, since: float, account_id: str | None = None
    ) -> list[tuple[str, int]]:
        """The commonest error codes of the messages created since `since` (Unix seconds)."""
        return await self._store.error_counts(id_floor(since), account_id)

    async def connectors(self) -> list[ConnectorRow]:
        return await self._store.list_connectors()

    async def routes(self) -> list[RouteRow]:
        return await self._store.list_routes()

    async def prices(self) -> list[PriceRule]:
        return await self._store.list_prices()

    async def replace_routes(self, routes: list[RouteRow]) -> None:
        """The whole route table (checked by `table_files.load_routes_csv`); the gateway's
        router takes it with `Gateway.reload_routes`."""
        await self._store.replace_routes(routes)

    async def replace_carrier_prefixes(self, rows: list[tuple[str, str]], source: str) -> int:
        """The prefixes from `source`, replacing what that source gave before."""
        return await self._store.replace_carrier_prefixes(rows, source)

    async def import_portability(self, ported: dict[str, str]) -> int:
        """Ported numbers (E.164 digits -> carrier), added or updated."""
        now = self.clock.time()
        return await self._store.import_portability(
            PortabilityRow(number, carrier, now) for number, carrier in ported.items()
        )

    async def portability_count(self) -> int:
        return (await self._store.find_portability(limit=1))[1]

    async def carrier_prefixes(self) -> list[tuple[str, str]]:
        return [(row.prefix, row.carrier) for row in await self._store.list_carrier_prefixes()]


def id_floor(at: float) -> str:
    """The smallest message id made at or after `at`: ids start with their time in
    milliseconds (smsgate.domain.ids)."""
    ms = max(0, int(at * 1000)) & 0xFFFF_FFFF_FFFF
    return f"{ms << 80:032x}"
