"""Messages: one, a page, counts, the unfinished ones at start; redaction and deletion."""

from typing import NamedTuple, Unpack

from smsgate.domain.message import Message, StatusChange
from smsgate.domain.status import Status
from smsgate.store import sql
from smsgate.store.filters import MessageFilters, MessagePage, NumberedPage
from smsgate.store.paging import (
    FROM_THE_START,
    MAX_PAGE,
    MAX_UNFINISHED_PAGE,
    Due,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import history_from

_PROGRESS_ORDER = (Status.ACCEPTED, Status.SCHEDULED, Status.QUEUED, Status.SENDING, Status.SENT)


class Waiting(NamedTuple):
    """Messages of one account in one status that is not final."""

    account_id: str
    status: Status
    messages: int
    oldest: float  # the oldest one's created_at
    next_scheduled: float | None  # the soonest scheduled_at among them, if any has one


class MessageReads(Primitives):
    async def get_message(self, message_id: str, account_id: str | None = None) -> Message | None:
        """The message with its parts; with `account_id`, only if it belongs to that account."""
        if account_id is None:
            found = await self._select_messages(sql.GET_MESSAGE, [message_id])
        else:
            found = await self._select_messages(sql.GET_ACCOUNT_MESSAGE, [message_id, account_id])
        return found[0] if found else None

    async def history(self, message_id: str) -> list[StatusChange]:
        """Every status change of the message and its parts, oldest first."""
        return [history_from(row) for row in await self._select_rows(sql.HISTORY_OF, [message_id])]

    async def list_messages(
        self, account_id: str, **page: Unpack[MessagePage]
    ) -> tuple[list[Message], str | None]:
        """A page of the account's messages with their parts, newest first, and the cursor of
        the next page (None on the last page)."""
        limit, cursor = page.get("limit", 50), page.get("cursor")
        check_limit(limit, MAX_PAGE)
        where, params = sql.message_filter(account_id, page)
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.MESSAGE_SELECT, where, params, after, limit)
        messages = await self._select_messages(query, params)
        if len(messages) > limit:
            return messages[:limit], encode_cursor(messages[limit - 1].id)
        return messages, None

    async def count_messages(self, account_id: str, **filters: Unpack[MessageFilters]) -> int:
        where, params = sql.message_filter(account_id, filters)
        return await self._select_count(f"SELECT COUNT(*) FROM messages WHERE {where}", params)

    async def status_counts(
        self, account_id: str, *, tag: str | None = None, client_ref: str | None = None
    ) -> dict[Status, int]:
        """How many of the account's messages (with that tag) are in each status."""
        where, params = sql.message_filter(account_id, {"tag": tag, "client_ref": client_ref})
        rows = await self._select_rows(
            f"SELECT status, COUNT(*) FROM messages WHERE {where} GROUP BY status", params
        )
        return {Status(row[0]): int(row[1]) for row in rows}

    async def waiting_messages(self, account_id: str | None = None) -> list[Waiting]:
        """Messages not final yet (accepted, scheduled, queued, sending, and sent: waiting for
        a receipt), counted by account and status; of one account if given."""
        found: list[Waiting] = []
        account = "" if account_id is None else " AND account_id = ?"
        params = [] if account_id is None else [account_id]
        for statement, index in (
            (sql.WAITING_MESSAGES, self._unfinished_index),
            (sql.SENT_MESSAGES, self._sent_index),
        ):
            query = statement.format(index=index, account=account)
            for row in await self._select_rows(query, params):
                found.append(
                    Waiting(
                        str(row[0]),
                        Status(row[1]),
                        int(row[2]),
                        float(row[3]),
                        None if row[4] is None else float(row[4]),
                    )
                )
        return sorted(found, key=lambda w: (w.account_id, _PROGRESS_ORDER.index(w.status)))

    async def message_by_client_ref(self, account_id: str, client_ref: str) -> Message | None:
        found = await self._select_messages(sql.BY_CLIENT_REF, [account_id, client_ref])
        return found[0] if found else None

    async def find_part_by_upstream_id(
        self, upstream_id: str, connector_id: str | None = None
    ) -> tuple[str, int] | None:
        """(message_id, seq) of the part the carrier knows as `upstream_id`; the newest one if
        several connectors reused the id and `connector_id` does not tell them apart."""
        if connector_id is None:
            rows = await self._select_rows(sql.BY_UPSTREAM_ID, [upstream_id])
        else:
            rows = await self._select_rows(
                sql.BY_UPSTREAM_ID_CONNECTOR, [upstream_id, connector_id]
            )
        return (rows[0][0], rows[0][1]) if rows else None

    async def unfinished_messages(self, limit: int, after_id: str | None = None) -> list[Message]:
        """Messages still accepted, scheduled, queued or sending, with their parts, in id
        order after `after_id`: page through them to rebuild the queues at start."""
        check_limit(limit, MAX_UNFINISHED_PAGE)
        return await self._select_messages(sql.UNFINISHED_MESSAGES, [after_id or "", limit])

    async def unreceipted_messages(
        self, connector_id: str, valid_before: float, limit: int, after: Due | None = None
    ) -> list[Due]:
        """Messages still `sent` whose validity ended before `valid_before` and that have a
        part sent through `connector_id` still waiting for its receipt, by the end of their
        validity, after `after`."""
        check_limit(limit, MAX_UNFINISHED_PAGE)
        at, after_id = after or FROM_THE_START
        rows = await self._select_rows(
            sql.UNRECEIPTED_MESSAGES, [valid_before, at, after_id, connector_id, limit]
        )
        return [Due(float(row[0]), str(row[1])) for row in rows]

    async def channel_timed_out(
        self, before: float, limit: int, after: Due | None = None
    ) -> list[Due]:
        """Messages still `sent` on a channel whose time there ended before `before` (to be
        revoked and sent by the next channel), by that time, after `after`."""
        check_limit(limit, MAX_UNFINISHED_PAGE)
        at, after_id = after or FROM_THE_START
        rows = await self._select_rows(sql.CHANNEL_TIMED_OUT, [before, at, after_id, limit])
        return [Due(float(row[0]), str(row[1])) for row in rows]

    async def message_page(
        self, account_id: str, **page: Unpack[NumberedPage]
    ) -> tuple[list[Message], int]:
        """The account's messages `offset` rows in, newest first, with their parts, and how
        many match in all: for APIs that number their pages."""
        limit, offset = page.get("limit", 20), page.get("offset", 0)
        check_limit(limit, MAX_PAGE)
        where, params = sql.message_filter(account_id, page)
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
        items (with their attempts); False if there is no such message. The message row goes
        last, so a delete stopped half-way can be repeated."""
        owned = "SELECT COUNT(*) FROM messages WHERE id = ? AND account_id = ?"
        if not await self._select_count(owned, [message_id, account_id]):
            return False
        for query in (
            "DELETE FROM status_history WHERE message_id = ?",
            "DELETE FROM outbox_attempts WHERE outbox_id IN"
            " (SELECT id FROM outbox WHERE state <> 'pending' AND subject_id = ?)",
            "DELETE FROM outbox WHERE state <> 'pending' AND subject_id = ?",
            "DELETE FROM parts WHERE message_id = ?",
        ):
            await self._change_rows(query, [message_id])
        query = "DELETE FROM messages WHERE id = ? AND account_id = ?"
        return await self._change_rows(query, [message_id, account_id]) > 0

    async def purge_messages(self, account_id: str, before: float, *, batch: int = 1000) -> int:
        """Delete the account's messages in a final status created before `before`, with their
        history, parts and settled outbox items, `batch` messages per transaction; returns how
        many messages were deleted."""
        return await purge(self, account_id, before, batch)


async def purge(store: Primitives, account_id: str, before: float, batch: int) -> int:
    """`MessageReads.purge_messages`, on any store (account deletion purges too)."""
    return await store._delete_batches(sql.PURGE_MESSAGES, [account_id, before], batch)
