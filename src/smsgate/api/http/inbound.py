"""`GET /v1/inbound`: the MO messages routed to the account, newest first, a page at a time."""

from typing import Any, Final

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.routing import Route

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.responses import JsonResponse
from smsgate.api.http.schemas import iso_time
from smsgate.api.http.v1 import parse_time
from smsgate.domain.errors import GatewayError
from smsgate.domain.inbound import InboundMessage
from smsgate.engine.gateway import Gateway
from smsgate.engine.notify import inbound_payload

MAX_LIMIT: Final = 500


class InboundView(BaseModel):
    id: str
    from_: str = Field(alias="from", description="The sender, as the carrier gave it")
    to: str = Field(description="The account's number the message was sent to")
    text: str | None = Field(description="The text; null for a binary message")
    data_coding: int
    payload_hex: str | None = Field(description="The octets of a binary message")
    segments: int = Field(description="Parts the message came in")
    complete: bool = Field(description="False when parts never came and it was stored partial")
    received_at: str


class InboundList(BaseModel):
    inbound: list[InboundView]
    next_cursor: str | None


def inbound_view(message: InboundMessage) -> dict[str, Any]:
    """The webhook's payload, with the time in ISO 8601."""
    return {**inbound_payload(message), "received_at": iso_time(message.received_at)}


QUERY: Final = [
    ("from", "string", "Only from this sender"),
    ("to", "string", "Only to this number"),
    ("received_after", "string", "ISO 8601, inclusive"),
    ("received_before", "string", "ISO 8601, exclusive"),
    ("limit", "integer", f"1 to {MAX_LIMIT} (default 50)"),
    ("cursor", "string", "next_cursor of the previous page"),
]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[Route]:
    async def list_inbound(request: Request) -> JsonResponse:
        account = await auth.account(request)
        query = request.query_params
        try:
            limit = int(query.get("limit", "50"))
            after = parse_time(query.get("received_after"))
            before = parse_time(query.get("received_before"))
        except ValueError as exc:
            raise GatewayError("invalid_request", str(exc)) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise GatewayError("invalid_request", f"limit: 1 to {MAX_LIMIT}")
        found, cursor = await gateway.queries.inbound(
            account.id,
            source=_digits(query.get("from")),
            destination=_digits(query.get("to")),
            received_after=after,
            received_before=before,
            limit=limit,
            cursor=query.get("cursor"),
        )
        return JsonResponse({"inbound": [inbound_view(m) for m in found], "next_cursor": cursor})

    return [Route("/v1/inbound", list_inbound, methods=["GET"])]


def _digits(number: str | None) -> str | None:
    """Numbers are stored as carriers send them: international ones without the "+"."""
    return None if not number else number.removeprefix("+")
