"""The message search form: what the console's query string may hold, checked and turned into
the store's filters."""

import calendar
import time
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import QueryParams

from smsgate.domain.channels import CHANNELS as ALL_CHANNELS
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.store.filters import MessageFilters

PAGE_SIZES: Final = (50, 200, 1000)
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
