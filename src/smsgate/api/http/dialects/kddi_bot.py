"""KDDI Message Cast, +message (RCS) bot queries: the capability check of a number and the
list of the bot's subscribers (docs/dialects/kddi.md)."""

from typing import Any, Final

from starlette.requests import Request

from smsgate.api.http.dialects.kddi_values import plus, timestamp
from smsgate.api.http.dialects.params import json_object
from smsgate.api.http.request_body import read_body
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

MAX_BODY: Final = 4 * 1024  # {"messageContact": {"userContact": "+81..."}}
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
_MAX_NUMBER: Final = 16  # "+" and an E.164 number's 15 digits


async def capability(gateway: Gateway, request: Request, account: Account) -> dict[str, Any]:
    """`{"userContact", "capable"}` for the number in the body (POST) or the query (GET)."""
    if request.method == "GET":
        user = request.query_params.get("userContact")
    else:
        contact = json_object(await read_body(request, MAX_BODY)).get("messageContact")
        user = contact.get("userContact") if isinstance(contact, dict) else None
    if not isinstance(user, str) or not user:
        raise GatewayError("missing_parameter", "messageContact.userContact is required")
    number = _number(user, "userContact")
    return {"userContact": number, "capable": await gateway.capability(account, number)}


async def subscribers(gateway: Gateway, request: Request, account: Account) -> dict[str, Any]:
    """A page of the bot's subscribers by number: `{"subscribers": [{"userContact",
    "subscribedAt"}], "next"}`, `next` being the `after` of the following page (null on the
    last)."""
    query = request.query_params
    raw = query.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise GatewayError("invalid_page_size", f"limit: 1 to {MAX_LIMIT}")
    limit = int(raw)
    after = query.get("after")
    digits = _number(after, "after").removeprefix("+") if after else None
    # one more than asked tells whether another page follows
    found = await gateway.queries.subscribers(account.id, limit + 1, digits)
    page = found[:limit]
    return {
        "subscribers": [
            {"userContact": plus(s.user), "subscribedAt": timestamp(s.subscribed_at)} for s in page
        ],
        "next": plus(page[-1].user) if len(found) > limit else None,
    }


def _number(value: str, name: str) -> str:
    """A +81 number as given (the engine parses it; `after` is compared as digits)."""
    value = value.strip()
    digits = value.removeprefix("+")
    if not value.startswith("+81") or not digits.isdigit() or len(value) > _MAX_NUMBER:
        raise GatewayError("invalid_destination", f"{name} must be +81 followed by the number")
    return value
