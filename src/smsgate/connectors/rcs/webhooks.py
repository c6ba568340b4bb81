"""The webhooks an RCS platform POSTs to smsgate: delivery reports and what users do.

Served at `/connectors/rcs/{connector_id}/events` (`webhook_routes`), authenticated with
`Authorization: Bearer <webhook_token>` of that connector, a JSON object per request:

- `{"event": "messageStatus", "botId", "RCSMessage": {"msgId", "status", "timestamp"},
  "messageContact": {"userContact": "+81..."}}`, status one of sent, delivered, displayed,
  failed, cancelled: a `DeliveryReport` for the part sent under msgId (SENT, DELIVERED,
  DISPLAYED, UNDELIVERED and REVOKED; another word is reported with no status, and the engine
  counts and drops it).
- `{"event": "message", "botId", "RCSMessage": {"msgId", "textMessage" | "geolocationPushMessage"
  | "fileMessage": ..., "timestamp"}, "messageContact": ...}`: a user's own message.
- `{"event": "response", "botId", "RCSMessage": {"msgId", "suggestedResponse": {"response":
  {"reply" | "action": {"displayText", "postback": {"data"}}}}, "timestamp"}, "messageContact":
  ...}`: a tapped suggestion.
- `{"event": "newUser", "botId", "messageContact": ...}`: a user's first contact with the bot.

The last three become `UserEvent`s (kind, bot, the user's E.164 digits, the RCSMessage object
as payload, its msgId, and the text or the tapped suggestion's display text).

The answer is 200 only once the engine took the event (it persists before acknowledging, so a
platform that gets no 200 sends again); 400 for a body that is not such an event (the error
says what is wrong), 401 without the right token, 404 for an unknown connector, 413 for a body
over `max_webhook_bytes`, 503 while the connector is not running or the engine could not take
the event in `inbound_timeout`.
"""

from collections.abc import Callable
from typing import Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.connectors.rcs.connector import RcsConnector
from smsgate.connectors.webhook import error_response, receive
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.ports import ConnectorEvents, DeliveryReport, UserEvent

WEBHOOK_PATH: Final = "/connectors/rcs/{connector_id}/events"

# the platform's word for a message's state, and the part status it means
STATUSES: Final = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "displayed": Status.DISPLAYED,
    "failed": Status.UNDELIVERED,
    "cancelled": Status.REVOKED,
}
_USER_MESSAGE_KINDS: Final = ("textMessage", "geolocationPushMessage", "fileMessage")
_MAX_DIGITS: Final = 15  # E.164

ConnectorLookup = Callable[[str], RcsConnector | None]


def parse_event(body: bytes) -> DeliveryReport | UserEvent:
    """A webhook's body as the engine's report or user event; GatewayError("invalid_request")
    naming what is wrong otherwise."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _invalid("the body is not JSON") from None
    if not isinstance(data, dict):
        raise _invalid("the body is not a JSON object")
    event = data.get("event")
    if event == "messageStatus":
        return _status_report(data)
    if event in ("message", "response", "newUser"):
        return _user_event(event, data)
    raise _invalid(f"event must be messageStatus, message, response or newUser, not {event!r}")


def _status_report(data: dict[str, Any]) -> DeliveryReport:
    message = _object(data, "RCSMessage")
    msg_id = _text(message, "msgId", "RCSMessage.msgId")
    word = _text(message, "status", "RCSMessage.status")
    return DeliveryReport((msg_id,), STATUSES.get(word.lower()), word)


def _user_event(kind: str, data: dict[str, Any]) -> UserEvent:
    bot = _text(data, "botId", "botId")
    user = _user(data)
    if kind == "newUser":
        return UserEvent(kind, bot, user)
    message = _object(data, "RCSMessage")
    msg_id = _text(message, "msgId", "RCSMessage.msgId")
    if kind == "message":
        if not any(key in message for key in _USER_MESSAGE_KINDS):
            raise _invalid("RCSMessage has none of " + ", ".join(_USER_MESSAGE_KINDS))
        text = message.get("textMessage")
        if "textMessage" in message and not isinstance(text, str):
            raise _invalid("RCSMessage.textMessage must be a string")
        return UserEvent(kind, bot, user, message, msg_id, text if isinstance(text, str) else "")
    suggested = _object(message, "suggestedResponse", "RCSMessage.suggestedResponse")
    response = _object(suggested, "response", "RCSMessage.suggestedResponse.response")
    tapped = response.get("reply", response.get("action"))
    if not isinstance(tapped, dict):
        raise _invalid("suggestedResponse.response must hold a reply or an action object")
    display = tapped.get("displayText", "")
    if not isinstance(display, str):
        raise _invalid("the response's displayText must be a string")
    return UserEvent(kind, bot, user, message, msg_id, display)


def _user(data: dict[str, Any]) -> str:
    contact = _object(data, "messageContact")
    value = _text(contact, "userContact", "messageContact.userContact")
    digits = value.removeprefix("tel:").removeprefix("+")
    if not digits.isdigit() or not digits.isascii() or len(digits) > _MAX_DIGITS:
        raise _invalid("messageContact.userContact must be an E.164 number")
    return digits


def _object(data: dict[str, Any], key: str, name: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _invalid(f"{name or key} must be an object")
    return value


def _text(data: dict[str, Any], key: str, name: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _invalid(f"{name} must be a non-empty string")
    return value


def _invalid(detail: str) -> GatewayError:
    return GatewayError("invalid_request", detail)


def webhook_routes(connectors: ConnectorLookup) -> list[Route]:
    """The webhook route of every RCS connector; `connectors` finds one by its id (None when
    there is none), so connectors may be replaced while the app runs."""

    async def endpoint(request: Request) -> Response:
        found = connectors(request.path_params["connector_id"])
        if found is None:
            return error_response(GatewayError("not_found", "no RCS connector of that id"), 404)
        connector: RcsConnector = found

        async def deliver(events: ConnectorEvents, event: DeliveryReport | UserEvent) -> None:
            if isinstance(event, DeliveryReport):
                await events.receipt(connector.id, event)
                connector.stats.receipts += 1
            else:
                await events.user_event(connector.id, event)
                connector.stats.user_events += 1

        return await receive(request, connector, parse_event, deliver, "event")

    return [Route(WEBHOOK_PATH, endpoint, methods=["POST"])]


__all__ = ["STATUSES", "WEBHOOK_PATH", "ConnectorLookup", "parse_event", "webhook_routes"]
