"""The engine's read side: every question an interface (HTTP API, dialect, SMPP server) asks
about messages, accounts, inbound messages and balances, answered from the store.

Interfaces read through `Queries` and never hold the store, so the store can change shape
behind it. Reads about one account's data take that account's id and never answer with
another account's rows. Errors come back as GatewayError, never as the store's own; an id or
filter with a character no stored row can hold (NUL) is refused before it reaches the store,
whose PostgreSQL backend would fail on it.
"""

from typing import Final, NamedTuple, Unpack

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.inbound import InboundMessage, OptOut
from smsgate.domain.message import Message, StatusChange
from smsgate.domain.outbox import OutboxAttempt, OutboxItem
from smsgate.domain.status import Status
from smsgate.domain.storable_text import check_lookup, unstorable
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.domain.subscribers import Subscriber
from smsgate.store import InvalidCursorError, Store
from smsgate.store.base import MAX_PAGE as STORE_MAX_PAGE
from smsgate.store.filters import InboundPage, MessagePage, NumberedPage

__all__ = ["MAX_PAGE", "Balance", "Callback", "IdempotentAnswer", "Queries"]

MAX_PAGE: Final = STORE_MAX_PAGE  # most rows one page of `messages`, `message_page` or `inbound`


class Balance(NamedTuple):
    """A prepaid account's balance, in millionths of its currency, and when it last changed."""

    micros: int
    updated_at: float


class Callback(NamedTuple):
    """Something owed to an account about one message (a status callback, an SMPP receipt)
    and the recorded attempts to deliver it, oldest first."""

    item: OutboxItem
    attempts: list[OutboxAttempt]


class IdempotentAnswer(NamedTuple):
    """The recorded first response to a request made with an Idempotency-Key."""

    request_hash: str
    status_code: int
    body: bytes
    created_at: float


class Queries:
    """Reads for the interfaces, over the store (the source of truth)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- messages ------------------------------------------------------------------------------

    async def message(self, account_id: str, message_id: str) -> Message:
        """The account's message with its parts; GatewayError("not_found") otherwise."""
        check_lookup([("message_id", message_id)])
        message = await self._store.get_message(message_id, account_id)
        if message is None:
            raise GatewayError("not_found")
        return message

    async def message_with_history(
        self, account_id: str, message_id: str
    ) -> tuple[Message, list[StatusChange]]:
        """The account's message and its status changes, oldest first; GatewayError("not_found")."""
        message = await self.message(account_id, message_id)
        return message, await self._store.history(message.id)

    async def callbacks(self, account_id: str, message_id: str) -> list[Callback]:
        """What was owed to the account about one of its messages (or inbound messages), oldest
        first, each with its recorded attempts (the newest ones: docs/outbox.md)."""
        check_lookup([("message_id", message_id)])
        items = await self._store.outbox_items_of(account_id, message_id)
        attempts = await self._store.outbox_attempts([item.id for item in items]) if items else {}
        return [Callback(item, attempts.get(item.id, [])) for item in items]

    async def message_by_client_ref(self, account_id: str, client_ref: str) -> Message | None:
        """The account's message with this client reference, if any."""
        check_lookup([("client_ref", client_ref)])
        return await self._store.message_by_client_ref(account_id, client_ref)

    async def messages(
        self, account_id: str, **page: Unpack[MessagePage]
    ) -> tuple[list[Message], str | None]:
        """A page (at most MAX_PAGE) of the account's messages, newest first, and the next
        page's cursor (None on the last); GatewayError("invalid_request") for a bad cursor."""
        check_lookup(page.items())
        try:
            return await self._store.list_messages(account_id, **page)
        except InvalidCursorError as error:
            raise GatewayError("invalid_request", str(error)) from None

    async def message_page(
        self, account_id: str, **page: Unpack[NumberedPage]
    ) -> tuple[list[Message], int]:
        """The account's messages `offset` rows in, newest first, and how many match in all:
        for APIs that number their pages."""
        check_lookup(page.items())
        return await self._store.message_page(account_id, **page)

    async def status_counts(
        self, account_id: str, *, tag: str | None = None, client_ref: str | None = None
    ) -> dict[Status, int]:
        """How many of the account's messages (with that tag or client reference) are in each
        status."""
        check_lookup([("tag", tag), ("client_ref", client_ref)])
        return await self._store.status_counts(account_id, tag=tag, client_ref=client_ref)

    # -- inbound (MO) and opt-outs -------------------------------------------------------------

    async def inbound(
        self, account_id: str, **page: Unpack[InboundPage]
    ) -> tuple[list[InboundMessage], str | None]:
        """A page of the inbound messages routed to the account, newest first, and the next
        page's cursor; GatewayError("invalid_request") for a bad cursor."""
        check_lookup(page.items())
        try:
            return await self._store.list_inbound(account_id, **page)
        except InvalidCursorError as error:
            raise GatewayError("invalid_request", str(error)) from None

    async def opt_outs(self, account_id: str) -> list[OptOut]:
        """The numbers that opted out of the account's messages."""
        return await self._store.opt_outs(account_id)

    # -- accounts and balances -----------------------------------------------------------------

    async def submitted_parts(self) -> list[SubmittedPart]:
        """The stored parts of messages customers submitted in several PDUs, oldest first."""
        return await self._store.submitted_parts()

    async def subscribers(
        self, account_id: str, limit: int, after: str | None = None
    ) -> list[Subscriber]:
        """The users subscribed to the account's RCS bot, by number, after `after`."""
        return await self._store.subscribers(account_id, limit, after)

    async def account(self, account_id: str) -> Account | None:
        return await self._store.get_account(account_id)

    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None:
        """The account (enabled or not) one of whose API keys hashes to `api_key_hash`."""
        return await self._store.account_by_api_key_hash(api_key_hash)

    async def account_by_system_id(self, system_id: str) -> Account | None:
        """The account (enabled or not) whose SMPP login is `system_id`."""
        if unstorable(system_id):  # no account has such a login (a dialect's login=%00)
            return None
        return await self._store.account_by_system_id(system_id)

    async def balance(self, account_id: str) -> Balance | None:
        """The prepaid balance as committed; None for a postpaid account."""
        found = await self._store.balance(account_id)
        return None if found is None else Balance(*found)

    # -- idempotency keys ----------------------------------------------------------------------

    async def idempotent_response(
        self, account_id: str, key: str, since: float
    ) -> IdempotentAnswer | None:
        """The account's recorded first response to a request with this Idempotency-Key, if
        recorded at or after `since`."""
        check_lookup([("Idempotency-Key", key)])
        found = await self._store.idempotent_response(account_id, key, since)
        return None if found is None else IdempotentAnswer(*found)

    async def purge_idempotent_responses(self, before: float) -> int:
        """Forget the responses recorded before `before`; returns how many. The one write
        here: these records are written with the messages they answer (`accept`) and only
        ever read back through this class, which therefore also expires them."""
        return await self._store.purge_idempotency(before)

    # -- load ----------------------------------------------------------------------------------

    @property
    def store_backlog(self) -> int:
        """Changes queued in the store or being committed (not those still in the engine's
        writer)."""
        return self._store.pending
