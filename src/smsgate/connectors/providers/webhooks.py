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

from collections.abc import Awaitable, Callable, Iterable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.connectors.providers.channels import CHANNELS
from smsgate.connectors.providers.connector import ProviderConnector
from smsgate.connectors.webhook import error_response, receive
from smsgate.domain.errors import GatewayError
from smsgate.engine.ports import ConnectorEvents, DeliveryReport

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
            found = connectors(request.path_params["connector_id"])
            if found is None or found.channel != kind:
                error = GatewayError("not_found", f"no {kind} connector of that id")
                return error_response(error, 404)
            connector: ProviderConnector = found

            async def deliver(events: ConnectorEvents, report: DeliveryReport) -> None:
                await events.receipt(connector.id, report)
                connector.stats.receipts += 1

            return await receive(
                request, connector, connector.provider.parse_event, deliver, "report"
            )

        return endpoint

    return [
        Route(WEBHOOK_PATH.format(kind=kind), endpoint_of(kind), methods=["POST"])
        for kind in CHANNELS
    ]


__all__ = ["WEBHOOK_PATH", "ConnectorLookup", "webhook_paths", "webhook_routes"]
