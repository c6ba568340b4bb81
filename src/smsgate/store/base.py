"""The `Store` interface the engine uses, and the group-commit front half both backends share.

`write` is the only way messages change. It returns once the transaction holding the caller's
changes has committed; meanwhile other callers' writes join the same transaction (group
commit): each backend has one writer that takes everything queued, commits it, then wakes
every caller in that batch. If a shared transaction fails, the writer replays each caller's
changes in a transaction of its own, so one caller's bad change (a duplicate client_ref) fails
that caller only.
"""

import asyncio
import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Final, Self

from smsgate.domain.account import Account
from smsgate.domain.message import Message, StatusChange
from smsgate.domain.pricing import PriceRule
from smsgate.domain.status import Status
from smsgate.store import sql
from smsgate.store.batch import PendingWrite
from smsgate.store.changes import (
    Change,
    InboundMessage,
    InboundSegment,
    OptOut,
    OutboxItem,
    OutboxState,
    OutboxUpdate,
    checked,
)
from smsgate.store.errors import BalanceError, InvalidCursorError, StoreClosedError
from smsgate.store.gate import WriteGate
from smsgate.store.records import (
    ConnectorRow,
    InboundNumber,
    PortabilityRow,
    PrefixRow,
    RouteRow,
)
from smsgate.store.rows import account_from, inbound_from, inbound_number_from, segment_from

__all__ = ["Change", "Store"]

MAX_PAGE: Final = 1000  # rows per page of list_messages / list_inbound
MAX_UNFINISHED_PAGE: Final = 10_000
DEFAULT_MAX_PENDING: Final = 100_000  # changes queued or in flight
DEFAULT_QUEUE_WAIT: Final = 5.0  # seconds a write may wait for room before StoreBusyError
DEFAULT_MAX_BATCH: Final = 5_000  # changes per shared transaction


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        last_id = raw.decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError(f"not a cursor from this API: {cursor!r}") from None
    if not last_id or not last_id.isprintable():
        raise InvalidCursorError(f"not a cursor from this API: {cursor!r}")
    return last_id


def check_limit(limit: int, maximum: int) -> int:
    if not 1 <= limit <= maximum:
        raise ValueError(f"limit must be between 1 and {maximum}, not {limit}")
    return limit


class Store(ABC):
    """Messages, accounts, inbound messages and routing configuration, durably.

    Open it (or use `async with`) on the event loop that will use it; it belongs to that loop.
    """

    def __init__(self, *, max_pending: int, queue_wait: float, max_batch: int) -> None:
        # transactions: committed write transactions; writes: `write` calls committed;
        # changes: changes committed; largest_batch: most calls in one transaction;
        # fallbacks: shared transactions that failed and were replayed call by call
        self.stats: dict[str, int] = {
            "transactions": 0,
            "writes": 0,
            "changes": 0,
            "largest_batch": 0,
            "fallbacks": 0,
        }
        self._gate = WriteGate(max_pending, queue_wait)
        self._max_batch = max_batch
        self._accepting = False

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def pending(self) -> int:
        """Changes queued or being committed; the engine may shed load before the gate does."""
        return self._gate.used

    async def write(self, changes: Sequence[Change]) -> None:
        """Persist `changes` in one transaction; returns once it committed.

        Waits (up to queue_wait) for room when the queue is full, then raises StoreBusyError.
        Cancelling the caller does not withdraw changes already queued.
        """
        futures = await self.enqueue([changes])
        if futures:
            await futures[0]

    async def enqueue(
        self,
        groups: Sequence[Sequence[Change]],
        futures: Sequence["asyncio.Future[None]"] | None = None,
    ) -> list["asyncio.Future[None]"]:
        """Queue several writes at once, in order, and return without waiting for the commit:
        one future per non-empty group, resolved once that group committed (or failed: a group
        is only ever refused for its own changes, and later groups never commit before it).
        A caller may pass the futures, one per group (empty groups included, resolved in their
        turn), to save relaying from the store's own.

        Waits (up to queue_wait) for room when the queue is full, then raises StoreBusyError.
        """
        pairs: list[tuple[list[Change], asyncio.Future[None] | None]]
        if futures is None:
            pairs = [(batch, None) for batch in map(checked, groups) if batch]
        else:
            pairs = list(zip(map(checked, groups), futures, strict=True))
        if not pairs:
            return []
        if not self._accepting:
            raise StoreClosedError("the store is not open")
        size = sum(len(batch) for batch, _ in pairs)
        await self._gate.enter(size)
        if not self._accepting:  # closed while this write waited for room
            self._gate.leave(size)
            raise StoreClosedError("the store is closing")
        loop = asyncio.get_running_loop()
        items = [PendingWrite(batch, future or loop.create_future()) for batch, future in pairs]
        self._enqueue(items)
        return [item.future for item in items]

    def _settle(
        self, batch: Sequence[PendingWrite], outcomes: Sequence[BaseException | None]
    ) -> None:
        """On the event loop: give the room back and wake the callers of a finished batch."""
        for item, error in zip(batch, outcomes, strict=True):
            self._gate.leave(len(item.changes))
            if item.future.done():  # the caller was cancelled; its changes were still written
                continue
            if error is None:
                item.future.set_result(None)
            else:
                item.future.set_exception(error)

    def _count(self, batch: Sequence[PendingWrite], transactions: int) -> None:
        self.stats["transactions"] += transactions
        self.stats["writes"] += len(batch)
        self.stats["changes"] += sum(len(item.changes) for item in batch)
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(batch))

    @abstractmethod
    def _enqueue(self, items: Sequence[PendingWrite]) -> None:
        """Hand writes to the backend's writer, in order (on the event loop thread)."""

    # lifecycle

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (unless built with auto_migrate=False)."""

    @abstractmethod
    async def close(self) -> None:
        """Refuse new writes, commit every queued one, then disconnect."""

    @abstractmethod
    async def migrate(self, target: int | None = None) -> int:
        """Apply the missing migrations up to `target` (default: all); returns the version."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    # messages

    @abstractmethod
    async def get_message(self, message_id: str, account_id: str | None = None) -> Message | None:
        """The message with its parts; with `account_id`, only if it belongs to that account."""

    @abstractmethod
    async def history(self, message_id: str) -> list[StatusChange]:
        """Every status change of the message and its parts, oldest first."""

    async def list_messages(
        self,
        account_id: str,
        *,
        status: Status | None = None,
        destination: str | None = None,
        client_ref: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        tag: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Message], str | None]:
        """A page of the account's messages with their parts, newest first, and the cursor of
        the next page (None on the last page)."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.message_filter(
            account_id, status, destination, client_ref, created_after, created_before, tag
        )
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.MESSAGE_SELECT, where, params, after, limit)
        messages = await self._select_messages(query, params)
        if len(messages) > limit:
            return messages[:limit], encode_cursor(messages[limit - 1].id)
        return messages, None

    async def count_messages(
        self,
        account_id: str,
        *,
        status: Status | None = None,
        destination: str | None = None,
        client_ref: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        tag: str | None = None,
    ) -> int:
        where, params = sql.message_filter(
            account_id, status, destination, client_ref, created_after, created_before, tag
        )
        return await self._select_count(f"SELECT COUNT(*) FROM messages WHERE {where}", params)

    async def status_counts(
        self, account_id: str, *, tag: str | None = None, client_ref: str | None = None
    ) -> dict[Status, int]:
        """How many of the account's messages (with that tag) are in each status."""
        where, params = sql.message_filter(account_id, None, None, client_ref, None, None, tag)
        rows = await self._select_rows(
            f"SELECT status, COUNT(*) FROM messages WHERE {where} GROUP BY status", params
        )
        return {Status(row[0]): int(row[1]) for row in rows}

    @abstractmethod
    async def _select_messages(self, query: str, params: list[Any]) -> list[Message]:
        """The messages (with their parts) a SELECT written with "?" placeholders finds."""

    @abstractmethod
    async def _select_count(self, query: str, params: list[Any]) -> int:
        """The single integer a SELECT COUNT written with "?" placeholders returns."""

    @abstractmethod
    async def message_by_client_ref(self, account_id: str, client_ref: str) -> Message | None: ...

    @abstractmethod
    async def find_part_by_upstream_id(
        self, upstream_id: str, connector_id: str | None = None
    ) -> tuple[str, int] | None:
        """(message_id, seq) of the part the carrier knows as `upstream_id`; the newest one if
        several connectors reused the id and `connector_id` does not tell them apart."""

    @abstractmethod
    async def unfinished_messages(self, limit: int, after_id: str | None = None) -> list[Message]:
        """Messages still accepted, scheduled, queued or sending, with their parts, in id
        order after `after_id`: page through them to rebuild the queues at start."""

    async def message_page(
        self,
        account_id: str,
        *,
        destination: str | None = None,
        source: str | None = None,
        tag: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Message], int]:
        """The account's messages `offset` rows in, newest first, with their parts, and how
        many match in all: for APIs that number their pages."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.message_filter(
            account_id, None, destination, None, created_after, created_before
        )
        for clause, value in (("source = ?", source), ("tag = ?", tag)):
            if value is not None:
                where += f" AND {clause}"
                params.append(value)
        total = await self._select_count(f"SELECT COUNT(*) FROM messages WHERE {where}", params)
        if offset >= total:
            return [], total
        query = f"{sql.MESSAGE_SELECT} WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?"
        return await self._select_messages(query, [*params, limit, offset]), total

    async def set_message_text(
        self, message_id: str, account_id: str, text: str, at: float
    ) -> bool:
        """Replace a message's stored text (to redact it), its comment with it; False if the
        account has no such message. What was sent is not changed."""
        query = (
            "UPDATE messages SET text = ?, comment = NULL, updated_at = ?"
            " WHERE id = ? AND account_id = ?"
        )
        return await self._change_rows(query, [text, at, message_id, account_id]) > 0

    async def delete_message(self, message_id: str, account_id: str) -> bool:
        """Delete one of the account's messages with its history, parts and settled outbox
        items; False if there is no such message. The message row goes last, so a delete
        stopped half-way can be repeated."""
        owned = "SELECT COUNT(*) FROM messages WHERE id = ? AND account_id = ?"
        if not await self._select_count(owned, [message_id, account_id]):
            return False
        for query in (
            "DELETE FROM status_history WHERE message_id = ?",
            "DELETE FROM outbox WHERE state <> 'pending' AND subject_id = ?",
            "DELETE FROM parts WHERE message_id = ?",
        ):
            await self._change_rows(query, [message_id])
        query = "DELETE FROM messages WHERE id = ? AND account_id = ?"
        return await self._change_rows(query, [message_id, account_id]) > 0

    # accounts

    @abstractmethod
    async def create_account(self, account: Account) -> None:
        """Raises DuplicateError when the id, API key hash or SMPP system_id is taken."""

    @abstractmethod
    async def update_account(self, account: Account) -> bool:
        """Replace the stored account with the same id; False if there is none."""

    @abstractmethod
    async def get_account(self, account_id: str) -> Account | None: ...

    @abstractmethod
    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None: ...

    @abstractmethod
    async def account_by_system_id(self, system_id: str) -> Account | None: ...

    @abstractmethod
    async def list_accounts(self) -> list[Account]: ...

    async def account_by_bot_id(self, bot_id: str) -> Account | None:
        rows = await self._select_rows(sql.ACCOUNT_BY_BOT, [bot_id])
        return account_from(tuple(rows[0])) if rows else None

    async def purge_messages(self, account_id: str, before: float, *, batch: int = 1000) -> int:
        """Delete the account's messages in a final status created before `before`, with their
        history, parts and settled outbox items, `batch` messages per transaction; returns how
        many messages were deleted."""
        deleted = 0
        while True:
            params = [account_id, before, batch]
            for statement in sql.PURGE_MESSAGES[:-1]:
                await self._change_rows(statement, params)
            count = await self._change_rows(sql.PURGE_MESSAGES[-1], params)
            deleted += count
            if count < batch:
                return deleted

    # routing configuration

    @abstractmethod
    async def upsert_connector(self, connector: ConnectorRow) -> None: ...

    @abstractmethod
    async def delete_connector(self, connector_id: str) -> bool: ...

    @abstractmethod
    async def list_connectors(self) -> list[ConnectorRow]: ...

    @abstractmethod
    async def replace_routes(self, routes: Sequence[RouteRow]) -> None:
        """Make `routes` the whole route table, atomically."""

    @abstractmethod
    async def list_routes(self) -> list[RouteRow]:
        """By position."""

    @abstractmethod
    async def replace_carrier_prefixes(self, rows: Iterable[tuple[str, str]], source: str) -> int:
        """Replace the (prefix, carrier) rows from `source`, atomically; a prefix that another
        source also gives goes to the latest replace. Returns the number of rows written."""

    @abstractmethod
    async def list_carrier_prefixes(self) -> list[PrefixRow]: ...

    @abstractmethod
    async def import_portability(self, rows: Iterable[PortabilityRow]) -> int:
        """Insert or update ported numbers in bounded batches (each its own transaction, so
        a long import never holds up message writes for long). Returns rows processed."""

    @abstractmethod
    async def portability_carrier(self, number: str) -> str | None: ...

    @abstractmethod
    async def list_portability(self) -> list[tuple[str, str]]:
        """Every (number, carrier) override, for the in-memory carrier table: one list the
        size of the table (tens of bytes a number), read in one query."""

    # outbox (docs/outbox.md)

    @abstractmethod
    async def claim_outbox(
        self,
        channel: str,
        now: float,
        *,
        limit: int = 100,
        lease: float = 30.0,
        account_id: str | None = None,
    ) -> list[OutboxItem]:
        """Claim up to `limit` pending items of `channel` (and account) due at `now`, oldest
        first: each is hidden from other claims until `now + lease`, when it is due again unless
        the claimer settled it (outbox_done / outbox_retry / outbox_abandon / outbox_release).
        An item never comes before an earlier pending item of the same message."""

    @abstractmethod
    async def _select_outbox(self, query: str, params: list[Any]) -> list[OutboxItem]:
        """The outbox items a SELECT written with "?" placeholders finds."""

    async def outbox_item(self, item_id: str) -> OutboxItem | None:
        found = await self._select_outbox(sql.GET_OUTBOX, [item_id])
        return found[0] if found else None

    async def list_outbox(
        self,
        account_id: str,
        *,
        state: OutboxState | None = None,
        subject_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[OutboxItem], str | None]:
        """A page of the account's outbox items (the abandoned ones, say), newest first."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.outbox_filter(
            account_id, None if state is None else state.value, subject_id
        )
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.OUTBOX_SELECT, where, params, after, limit)
        items = await self._select_outbox(query, params)
        if len(items) > limit:
            return items[:limit], encode_cursor(items[limit - 1].id)
        return items, None

    async def outbox_done(self, item: OutboxItem, at: float) -> None:
        """The customer has it (an attempt succeeded)."""
        await self.write([OutboxUpdate(item.id, OutboxState.DONE, at, item.attempts + 1)])

    async def outbox_retry(self, item: OutboxItem, at: float, next_at: float, error: str) -> None:
        """An attempt failed for a reason that may pass: try again at `next_at`."""
        await self.write(
            [OutboxUpdate(item.id, OutboxState.PENDING, at, item.attempts + 1, next_at, error)]
        )

    async def outbox_abandon(self, item: OutboxItem, at: float, error: str) -> None:
        """Give up: the last retry failed, or the receiver refused the item for good."""
        await self.write(
            [OutboxUpdate(item.id, OutboxState.ABANDONED, at, item.attempts + 1, None, error)]
        )

    async def outbox_release(
        self, items: Sequence[OutboxItem], at: float, due: float | None = None
    ) -> None:
        """Give claimed items back unattempted (the consumer is stopping, or has no room):
        due again at `due` (default: at once), no attempt counted."""
        when = at if due is None else due
        await self.write(
            [OutboxUpdate(i.id, OutboxState.PENDING, at, i.attempts, when) for i in items]
        )

    async def dead_letters(
        self, *, channel: str | None = None, account_id: str | None = None, limit: int = 50
    ) -> list[OutboxItem]:
        """The items given up (state abandoned: the dead letters), newest first."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.conditions(
            "state = 'abandoned'", [], (("channel = ?", channel), ("account_id = ?", account_id))
        )
        query = f"{sql.OUTBOX_SELECT} WHERE {where} ORDER BY id DESC LIMIT ?"
        return await self._select_outbox(query, [*params, limit])

    async def outbox_replay(
        self, ids: Sequence[str] | None, at: float, *, channel: str | None = None
    ) -> int:
        """Dead letters (`ids`, or with None all of them, of `channel` if given) back to
        pending: no attempt made, due at `at`. Returns how many; other ids are left alone."""
        where, params = sql.conditions("state = 'abandoned'", [], (("channel = ?", channel),))
        update = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,"
        update += f" updated_at = ? WHERE {where}"
        if ids is None:
            return await self._change_rows(update, [at, at, *params])
        replayed = 0
        for start in range(0, len(ids), MAX_PAGE):
            chunk = list(ids[start : start + MAX_PAGE])
            query = f"{update} AND id IN ({', '.join('?' * len(chunk))})"
            replayed += await self._change_rows(query, [at, at, *params, *chunk])
        return replayed

    # inbound (MO)

    @abstractmethod
    async def _select_rows(self, query: str, params: list[Any]) -> list[Any]:
        """The rows a SELECT written with "?" placeholders returns."""

    @abstractmethod
    async def _change_rows(self, query: str, params: list[Any]) -> int:
        """Run one statement written with "?" placeholders in a transaction of its own
        (SQLite: on the writer); the number of rows it changed."""

    async def list_inbound(
        self,
        account_id: str,
        *,
        source: str | None = None,
        destination: str | None = None,
        received_after: float | None = None,
        received_before: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[InboundMessage], str | None]:
        """A page of the account's inbound messages, newest first, and the next cursor."""
        where, params = sql.inbound_filter(
            account_id, source, destination, received_after, received_before
        )
        return await self._inbound_page(where, params, limit, cursor)

    async def list_unclaimed_inbound(
        self,
        *,
        source: str | None = None,
        destination: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[InboundMessage], str | None]:
        """A page of the inbound messages no number claimed (the operator's view)."""
        where, params = sql.inbound_filter(None, source, destination, None, None)
        return await self._inbound_page(where, params, limit, cursor)

    async def _inbound_page(
        self, where: str, params: list[Any], limit: int, cursor: str | None
    ) -> tuple[list[InboundMessage], str | None]:
        check_limit(limit, MAX_PAGE)
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.INBOUND_SELECT, where, params, after, limit)
        found = [inbound_from(row) for row in await self._select_rows(query, params)]
        if len(found) > limit:
            return found[:limit], encode_cursor(found[limit - 1].id)
        return found, None

    async def recent_inbound(
        self, source: str, destination: str, since: float
    ) -> list[InboundMessage]:
        """The inbound messages from `source` to `destination` stored at `since` or later."""
        rows = await self._select_rows(sql.RECENT_INBOUND, [source, destination, since])
        return [inbound_from(row) for row in rows]

    async def inbound_segments(self) -> list[InboundSegment]:
        """Every stored part of an unfinished concatenated MO message, oldest first."""
        return [segment_from(row) for row in await self._select_rows(sql.SEGMENTS, [])]

    async def opt_outs(self, account_id: str | None = None) -> list[OptOut]:
        """The opted-out numbers (of one account, or of all)."""
        if account_id is None:
            rows = await self._select_rows(sql.OPT_OUTS, [])
        else:
            rows = await self._select_rows(sql.ACCOUNT_OPT_OUTS, [account_id])
        return [OptOut(row[0], row[1], row[2]) for row in rows]

    async def add_inbound_number(self, number: InboundNumber) -> None:
        """Raises DuplicateError when the number (with that keyword) has an owner."""
        values = [number.number, number.keyword, number.account_id, number.created_at]
        await self._change_rows(sql.INSERT_INBOUND_NUMBER, values)

    async def remove_inbound_number(self, number: str, keyword: str = "") -> bool:
        return await self._change_rows(sql.DELETE_INBOUND_NUMBER, [number, keyword]) > 0

    async def list_inbound_numbers(self, account_id: str | None = None) -> list[InboundNumber]:
        query, params = sql.INBOUND_NUMBER_SELECT, []
        if account_id is not None:
            query, params = f"{query} WHERE account_id = ?", [account_id]
        rows = await self._select_rows(f"{query} ORDER BY number, keyword", params)
        return [inbound_number_from(row) for row in rows]

    async def inbound_owners(self, number: str) -> list[tuple[str, Account]]:
        """(keyword, account) of every owner of `number`."""
        rows = await self._select_rows(sql.INBOUND_OWNERS, [number])
        return [(row[0], account_from(tuple(row)[1:])) for row in rows]

    # prepaid balances, prices, idempotency keys

    async def balances(self) -> dict[str, int]:
        """Every prepaid account's balance, in millionths of its currency."""
        return {row[0]: int(row[1]) for row in await self._select_rows(sql.BALANCES, [])}

    async def balance(self, account_id: str) -> tuple[int, float] | None:
        """(micros, updated_at) of a prepaid account; None for a postpaid one."""
        rows = await self._select_rows(sql.BALANCE, [account_id])
        return (int(rows[0][0]), float(rows[0][1])) if rows else None

    async def add_balance(self, account_id: str, micros: int, at: float) -> int:
        """Top up (or, negative, take off) a balance, making the account prepaid; returns the
        new balance. IntegrityError when it would go below zero."""
        if micros >= 0:
            await self._change_rows(sql.ADD_BALANCE, [account_id, micros, at])
        elif not await self._change_rows(sql.CHANGE_BALANCE, [micros, at, account_id]):
            raise BalanceError(f"account {account_id} has no balance to take from")
        found = await self.balance(account_id)
        assert found is not None
        return found[0]

    async def set_balance(self, account_id: str, micros: int | None, at: float) -> None:
        """Set a balance (the account becomes prepaid), or with None make it postpaid."""
        if micros is None:
            await self._change_rows(sql.DELETE_BALANCE, [account_id])
        else:
            await self._change_rows(sql.SET_BALANCE, [account_id, micros, at])

    @abstractmethod
    async def replace_prices(self, rules: Sequence[PriceRule]) -> None:
        """Make `rules` the whole price list, in this order, atomically."""

    async def list_prices(self) -> list[PriceRule]:
        return [
            PriceRule(
                route_id=row[0],
                country=row[1],
                carrier=row[2],
                currency=row[3],
                per_segment=Decimal(row[4]),
            )
            for row in await self._select_rows(sql.LIST_PRICES, [])
        ]

    async def idempotent_response(
        self, account_id: str, key: str, since: float
    ) -> tuple[str, int, bytes, float] | None:
        """(request hash, status code, body, created_at) of the first response to a request
        with this Idempotency-Key, if it was recorded at or after `since`."""
        rows = await self._select_rows(sql.IDEMPOTENT_RESPONSE, [account_id, key, since])
        if not rows:
            return None
        row = rows[0]
        return str(row[0]), int(row[1]), bytes(row[2]), float(row[3])

    async def purge_idempotency(self, before: float) -> int:
        """Forget the responses recorded before `before`; returns how many."""
        return await self._change_rows(sql.PURGE_IDEMPOTENT, [before])
