"""Inbound (MO) messages, their stored parts, opt-outs, and the numbers that route them."""

from collections.abc import Sequence
from typing import Any, Unpack

from smsgate.domain.account import Account
from smsgate.domain.ids import id_floor
from smsgate.domain.inbound import InboundMessage, InboundNumber, InboundSegment, OptOut
from smsgate.store import sql
from smsgate.store.filters import InboundPage
from smsgate.store.paging import MAX_PAGE, check_limit, decode_cursor, encode_cursor
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import (
    account_from,
    inbound_from,
    inbound_number_from,
    inbound_number_values,
    opt_out_from,
    segment_from,
)


class InboundReads(Primitives):
    async def list_inbound(
        self, account_id: str, **page: Unpack[InboundPage]
    ) -> tuple[list[InboundMessage], str | None]:
        """A page of the account's inbound messages, newest first, and the next cursor."""
        where, params = sql.inbound_filter(account_id, page)
        return await self._inbound_page(where, params, page)

    async def list_unclaimed_inbound(
        self, **page: Unpack[InboundPage]
    ) -> tuple[list[InboundMessage], str | None]:
        """A page of the inbound messages no number claimed (the operator's view)."""
        where, params = sql.inbound_filter(None, page)
        return await self._inbound_page(where, params, page)

    async def _inbound_page(
        self, where: str, params: Sequence[Any], page: InboundPage
    ) -> tuple[list[InboundMessage], str | None]:
        limit, cursor = page.get("limit", 50), page.get("cursor")
        check_limit(limit, MAX_PAGE)
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.INBOUND_SELECT, where, list(params), after, limit)
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

    async def inbound_group(
        self, source: str, destination: str, reference: int, total: int
    ) -> list[InboundSegment]:
        """The stored parts of one concatenated MO message (by every node), by number."""
        params = [source, destination, reference, total]
        return [segment_from(row) for row in await self._select_rows(sql.GROUP_SEGMENTS, params)]

    async def purge_inbound(self, account_id: str, before: float, *, batch: int = 1000) -> int:
        """Delete the account's MO received before `before`, with their settled outbox items,
        `batch` per transaction; an MO whose webhook call is still owed stays until it settles.
        Returns how many were deleted."""
        params = [account_id, id_floor(before), before]
        return await self._delete_batches(sql.PURGE_INBOUND, params, batch)

    async def inbound_segments(self) -> list[InboundSegment]:
        """Every stored part of an unfinished concatenated MO message, oldest first."""
        return [segment_from(row) for row in await self._select_rows(sql.LIST_SEGMENTS, [])]

    async def opt_outs(self, account_id: str | None = None) -> list[OptOut]:
        """The opted-out numbers (of one account, or of all)."""
        if account_id is None:
            rows = await self._select_rows(sql.ALL_OPT_OUTS, [])
        else:
            rows = await self._select_rows(sql.ACCOUNT_OPT_OUTS, [account_id])
        return [opt_out_from(row) for row in rows]

    async def add_inbound_number(self, number: InboundNumber) -> None:
        """Raises DuplicateError when the number (with that keyword) has an owner."""
        await self._change_rows(sql.INSERT_INBOUND_NUMBER, inbound_number_values(number))

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
