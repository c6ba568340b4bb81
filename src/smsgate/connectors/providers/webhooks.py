"""The webhooks a channel's provider POSTs to smsgate: its delivery reports.

Served at `/connectors/{kind}/{connector_id}/events` for each provider channel (`kind` is the
channel: voice, viber, telegram, bot, social), one endpoint for every provider connector,
found by its id. Authenticated with `Authorization: Bearer <webhook_token>` of that
connector, a JSON object per request: `{"id": "<the provider's id>", "status": "<word>",
"error": "<code>"}` (error optional), which the connector's provider reads as a
`DeliveryReport` (a word the channel does not know is reported with no status; the engine
counts and drops it).

The answer is 200 only once the engine took the report (it persists before acknowledging, so
a provider that gets no 200 sends again); 400 for a body that is not a report (the error says
what is wrong), 401 without the right token, 404 for an unknown connector or one of another
channel, 413 for a body over `max_webhook_bytes`, 503 while the connector is not running or
the engine could not take the report within `inbound_timeout`.
"""

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.connectors.providers.channels import CHANNELS
from smsgate.connectors.providers.connector import ProviderConnector
from smsgate.domain.errors import GatewayError

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/connectors/{kind}/{{connector_id}}/events"

ConnectorLookup = Callable[[str], ProviderConnector | None]


def webhook_paths(kinds: Iterable[str] = CHANNELS) -> list[str]:
    return [WEBHOOK_PATH.format(kind=kind) for kind in kinds]


def webhook_routes(connectors: ConnectorLookup) -> list[Route]:
    """The webhook routes of every provider channel, one endpoint for all; `connectors` finds
    a connector by its id (None when there is none), so connectors may be replaced while the
    app runs. Each channel's path is spelled out, so the routes of other connectors under
    /connectors/ (RCS, ...) are never shadowed, whatever the order they are mounted in."""

    def endpoint_of(kind: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            connector = connectors(request.path_params["connector_id"])
            if connector is None or connector.channel != kind:
                return _error(GatewayError("not_found", f"no {kind} connector of that id"), 404)
            try:
                await _take(request, connector)
            except GatewayError as exc:
                connector.stats.webhooks_refused += 1
                return _error(exc)
            except ClientDisconnect:  # the provider gave up: it will send again
                connector.stats.webhooks_refused += 1
                return Response(status_code=499)
            return Response(b"{}", media_type="application/json")

        return endpoint

    return [
        Route(WEBHOOK_PATH.format(kind=kind), endpoint_of(kind), methods=["POST"])
        for kind in CHANNELS
    ]


async def _take(request: Request, connector: ProviderConnector) -> None:
    config = connector.config
    if not _authorized(request, config.webhook_token):
        raise GatewayError("unauthorized", "a bearer token is required")
    events = connector.events
    if not connector.running or events is None:
        raise GatewayError("unavailable", f"connector {connector.id} is not running")
    report = connector.provider.parse_event(await _body(request, config.max_webhook_bytes))
    try:
        async with asyncio.timeout(config.inbound_timeout):
            await events.receipt(connector.id, report)
    except Exception as exc:  # not persisted: the provider must send it again
        log.warning("%s: the engine did not take a report: %r", connector.id, exc)
        raise GatewayError("unavailable", "the report was not taken; send it again") from None
    connector.stats.receipts += 1


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


async def _body(request: Request, limit: int) -> bytes:
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


def _error(error: GatewayError, status: int | None = None) -> Response:
    body = {"error": {"code": error.code, "message": error.entry.message, "detail": error.detail}}
    headers = {"Retry-After": "1"} if error.http_status == 503 else None
    return Response(
        orjson.dumps(body),
        status_code=status or error.http_status,
        media_type="application/json",
        headers=headers,
    )


__all__ = ["WEBHOOK_PATH", "ConnectorLookup", "webhook_paths", "webhook_routes"]
