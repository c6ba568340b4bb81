"""Messages: search, a message's page (parts, receipts, history, callbacks with each attempt),
CSV export of a search, and cancelling a message not yet at the carrier."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Final
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from smsgate.api.console import callback_attempts
from smsgate.api.console.pages import SECURITY_HEADERS, fragment, render, stream, when
from smsgate.api.console.search import CHANNELS, PAGE_SIZES, ResultRows, parse_search
from smsgate.api.console.visitors import Visitors
from smsgate.domain.account import Account
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.gateway import Gateway
from smsgate.engine.queries import MAX_PAGE

MAX_EXPORT: Final = 100_000  # rows of one CSV export
CANCELABLE: Final = frozenset({Status.ACCEPTED, Status.SCHEDULED, Status.QUEUED})
EXPORT_COLUMNS: Final = (
    "id", "created_at", "status", "channel", "source", "destination", "segments", "price",
    "client_ref", "tag", "error_code", "comment", "text",
)  # fmt: skip


def routes(gateway: Gateway, visitors: Visitors) -> list[Route]:
    async def search(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        query = parse_search(request.query_params)
        if query.message_id:
            message = await gateway.queries.message(account.id, query.message_id)
            return RedirectResponse(_message_path(account, message.id), status_code=303)
        kept = {k: v for k, v in query.fields.items() if v}
        if visitor.operator:
            kept["account"] = account.id
        rows = ResultRows(gateway.queries, account.id, query, kept)
        await rows.read_first()

        def rendered(chunk: list[Message]) -> Markup:
            # a store read's rows at once: far cheaper than the streaming template's own
            # loop, which passes every piece of every row through async generators
            return Markup(fragment("message_rows.html", messages=chunk, account=account))

        # streamed: the head and the first rows go out while the rest of a long page is read
        return stream(
            request,
            "messages.html",
            visitor,
            account=account,
            accounts=await gateway.admin.accounts() if visitor.operator else [account],
            messages=rows,
            rows=rendered,
            fields=query.fields,
            statuses=[s.value for s in Status],
            channels=CHANNELS,
            page_sizes=PAGE_SIZES,
            export=f"/console/messages.csv?{urlencode(kept)}",
        )

    async def detail(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        message, history = await gateway.queries.message_with_history(
            account.id, request.path_params["message_id"]
        )
        return render(
            request,
            "message.html",
            visitor,
            account=account,
            message=message,
            history=history,
            callbacks=await gateway.queries.callbacks(account.id, message.id),
            answer=callback_attempts.answer,
            duration=callback_attempts.duration,
            cancelable=message.status in CANCELABLE,
        )

    async def cancel(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        await visitors.form(request, visitor)
        message = await gateway.cancel(account, request.path_params["message_id"])
        return RedirectResponse(_message_path(account, message.id), status_code=303)

    async def export(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        account = await visitors.account(request, visitor)
        query = parse_search(request.query_params)
        # the first page is read before answering, so a bad filter is an error page, not a
        # CSV cut short
        first, cursor = await gateway.queries.messages(account.id, limit=MAX_PAGE, **query.filters)

        async def rows() -> AsyncIterator[str]:
            page, after, sent = first, cursor, 0
            yield _csv_line(EXPORT_COLUMNS)
            while True:
                lines = [_csv_line(_export_row(m)) for m in page]
                sent += len(lines)
                yield "".join(lines)
                if after is None or sent >= MAX_EXPORT:
                    return
                page, after = await gateway.queries.messages(
                    account.id, limit=MAX_PAGE, cursor=after, **query.filters
                )

        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="messages-{account.id}.csv"',
        }
        return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)

    return [
        Route("/messages", search, methods=["GET"]),
        Route("/messages.csv", export, methods=["GET"]),
        Route("/messages/{message_id}", detail, methods=["GET"]),
        Route("/messages/{message_id}/cancel", cancel, methods=["POST"]),
    ]


def _message_path(account: Account, message_id: str) -> str:
    return f"/console/messages/{message_id}?{urlencode({'account': account.id})}"


def _export_row(m: Message) -> tuple[str, ...]:
    return (
        m.id, when(m.created_at), m.status.value, m.channel, m.source, m.destination,
        str(m.segments), m.price or "", m.client_ref or "", m.tag or "", m.error_code or "",
        _cell(m.comment or ""), _cell(m.text),
    )  # fmt: skip


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_line(values: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()
