"""The steps every channel's webhook endpoint shares: a bearer token, a bounded body, and an
answer of 200 only once the engine took what the peer sent (persist, then acknowledge).

    async def endpoint(request: Request) -> Response:
        connector = ...                             # found by the path's id, or a 404
        return await receive(request, connector, parse_event, hand_to_engine, "event")

`parse` turns the body into what the engine takes (GatewayError("invalid_request") when it
cannot); `deliver` hands that to the engine and counts it. The answers: 400 for a body
`parse` refused, 401 without the right token, 413 for a body over `max_webhook_bytes`, 503
while the connector is not running or the engine did not take it within `inbound_timeout`,
499 when the peer went away first; each of those counts in `stats.webhooks_refused`.
"""

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from smsgate.domain.errors import GatewayError
from smsgate.engine.ports import ConnectorEvents

log = logging.getLogger(__name__)

T = TypeVar("T")


class WebhookSettings(Protocol):
    @property
    def webhook_token(self) -> str: ...
    @property
    def max_webhook_bytes(self) -> int: ...
    @property
    def inbound_timeout(self) -> float: ...


class WebhookCounts(Protocol):
    webhooks_refused: int


class WebhookReceiver(Protocol):
    """A connector that takes its peer's webhooks."""

    @property
    def id(self) -> str: ...
    @property
    def config(self) -> WebhookSettings: ...
    @property
    def events(self) -> ConnectorEvents | None: ...
    @property
    def running(self) -> bool: ...
    @property
    def stats(self) -> WebhookCounts: ...


async def receive(
    request: Request,
    connector: WebhookReceiver,
    parse: Callable[[bytes], T],
    deliver: Callable[[ConnectorEvents, T], Awaitable[None]],
    noun: str,
) -> Response:
    """Answer one webhook request for `connector`; `noun` names what it carries in the
    answer and the log ("report", "event")."""
    try:
        await _take(request, connector, parse, deliver, noun)
    except GatewayError as exc:
        connector.stats.webhooks_refused += 1
        return error_response(exc)
    except ClientDisconnect:  # the peer gave up: it will send again
        connector.stats.webhooks_refused += 1
        return Response(status_code=499)
    return Response(b"{}", media_type="application/json")


async def _take(
    request: Request,
    connector: WebhookReceiver,
    parse: Callable[[bytes], T],
    deliver: Callable[[ConnectorEvents, T], Awaitable[None]],
    noun: str,
) -> None:
    config = connector.config
    if not authorized(request, config.webhook_token):
        raise GatewayError("unauthorized", "a bearer token is required")
    events = connector.events
    if not connector.running or events is None:
        raise GatewayError("unavailable", f"connector {connector.id} is not running")
    taken = parse(await read_body(request, config.max_webhook_bytes))
    try:
        async with asyncio.timeout(config.inbound_timeout):
            await deliver(events, taken)
    except Exception as exc:  # not persisted: the peer must send it again
        log.warning("%s: the engine did not take the %s: %r", connector.id, noun, exc)
        raise GatewayError("unavailable", f"the {noun} was not taken; send it again") from None


def authorized(request: Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (compared in constant
    time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (request_too_large) past `limit` bytes whatever Content-Length says."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise GatewayError("request_too_large", f"at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise GatewayError("request_too_large", f"at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(error: GatewayError, status: int | None = None) -> Response:
    """The error's JSON answer, with Retry-After on a 503."""
    body = {"error": {"code": error.code, "message": error.entry.message, "detail": error.detail}}
    headers = {"Retry-After": "1"} if error.http_status == 503 else None
    return Response(
        orjson.dumps(body),
        status_code=status or error.http_status,
        media_type="application/json",
        headers=headers,
    )


__all__ = [
    "WebhookReceiver",
    "authorized",
    "error_response",
    "read_body",
    "receive",
]
