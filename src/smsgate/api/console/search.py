"""The message search form: what the console's query string may hold, checked and turned into
the store's filters; and the rows of one page of results, read from the store while the page
is sent."""

import asyncio
import calendar
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from smsgate.domain.channels import CHANNELS as ALL_CHANNELS
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.queries import MAX_PAGE, Queries
from smsgate.store.filters import MessageFilters

PAGE_SIZES: Final = (50, 200, 1000, 10_000)  # a page over MAX_PAGE is read in several
MAX_FIELD: Final = 200  # characters of one search field
CHANNELS: Final = tuple(sorted(ALL_CHANNELS))


@dataclass(frozen=True, slots=True)
class Search:
    filters: MessageFilters
    message_id: str | None
    limit: int
    cursor: str | None
    fields: dict[str, str]  # as typed, to fill the form again


def _day(value: str, name: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(value, "%Y-%m-%d")))
    except ValueError:
        raise GatewayError("invalid_request", f"{name}: a date as YYYY-MM-DD") from None


def parse_search(params: QueryParams) -> Search:
    """GatewayError("invalid_request") for a value no message could match."""
    fields = {
        name: params.get(name, "").strip()
        for name in (
            "id", "number", "sender", "client_ref", "tag", "status", "from", "to",
            "channel", "comment", "limit",
        )
    }  # fmt: skip
    for name, value in fields.items():
        if len(value) > MAX_FIELD or "\x00" in value:
            raise GatewayError("invalid_request", f"{name}: at most {MAX_FIELD} characters")
    status = None
    if fields["status"]:
        try:
            status = Status(fields["status"])
        except ValueError:
            raise GatewayError("invalid_request", f"no status {fields['status']!r}") from None
    limit = PAGE_SIZES[0]
    if fields["limit"]:
        if not fields["limit"].isdigit() or int(fields["limit"]) not in PAGE_SIZES:
            raise GatewayError("invalid_page_size", f"a page holds {PAGE_SIZES} messages")
        limit = int(fields["limit"])
    channel = fields["channel"] or None
    if channel is not None and channel not in CHANNELS:
        raise GatewayError("invalid_request", f"the channel is one of {', '.join(CHANNELS)}")
    filters: MessageFilters = {
        "status": status,
        # numbers are stored as E.164 digits: "+81 90-1234-5678" finds them too
        "destination": _digits(fields["number"]),
        "source": fields["sender"].lstrip("+") or None,
        "client_ref": fields["client_ref"] or None,
        "tag": fields["tag"] or None,
        "comment_contains": fields["comment"] or None,
        "channel": channel,
        "created_after": _day(fields["from"], "from") if fields["from"] else None,
        # "to" names the last day included
        "created_before": _day(fields["to"], "to") + 86400 if fields["to"] else None,
    }
    cursor = params.get("cursor") or None
    return Search(filters, fields["id"] or None, limit, cursor, fields)


def _digits(number: str) -> str | None:
    if not number:
        return None
    digits = "".join(c for c in number if c.isdigit())
    if not digits:
        raise GatewayError("invalid_destination", f"{number!r} has no digits")
    return digits


class ResultRows:
    """The messages of one page of a search, newest first, in lists of up to MAX_PAGE as the
    store gives them while the page is rendered (a page of 10,000 starts going out after the
    first 1000); once they are all read, `shown` is how many and `next_page` the next page's
    query string (None on the last)."""

    def __init__(
        self, queries: Queries, account_id: str, search: Search, kept: dict[str, str]
    ) -> None:
        self._queries = queries
        self._account_id = account_id
        self._search = search
        self._kept = kept  # the query string's fields that the next page keeps
        self._first: list[Message] = []
        self._after: str | None = None
        self.next_page: str | None = None
        self.shown = 0

    async def _read(self, cursor: str | None, limit: int) -> tuple[list[Message], str | None]:
        return await self._queries.messages(
            self._account_id,
            limit=min(limit, MAX_PAGE),
            cursor=cursor,
            **self._search.filters,
        )

    async def read_first(self) -> None:
        """Read the first rows before the page is answered, so that a bad cursor or filter is
        an error page, not a page cut short."""
        self._first, self._after = await self._read(self._search.cursor, self._search.limit)

    async def __aiter__(self) -> AsyncIterator[list[Message]]:
        rows, after, left = self._first, self._after, self._search.limit
        self._first = []
        following: asyncio.Task[tuple[list[Message], str | None]] | None = None
        try:
            while True:
                left -= len(rows)
                if after is not None and left > 0:
                    # the store reads the next rows while these are rendered and sent
                    following = asyncio.ensure_future(self._read(after, left))
                self.shown += len(rows)
                if rows:
                    yield rows
                if following is None:
                    break
                rows, after = await following
                following = None
        finally:
            if following is not None:  # the page was left unfinished (the browser went away)
                following.cancel()
        if after is not None:
            self.next_page = f"?{urlencode({**self._kept, 'cursor': after})}"
