"""KDDI Message Cast (SMS part): the shapes of answers, errors and notifications
(docs/dialects/kddi.md)."""

import uuid
from http import HTTPStatus
from typing import Any, Final

from smsgate.api.http.responses import JsonResponse
from smsgate.api.http.schemas import iso_time
from smsgate.callbacks.formats import CallbackFormat
from smsgate.domain.errors import GatewayError, dialect_code
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.notify import INBOUND_EVENT

DIALECT: Final = "kddi"
DESTINATION: Final = "sms"
# the guide's result notifications: half a second per attempt, three retries
NOTIFY_ATTEMPTS: Final = 4
NOTIFY_TIMEOUT: Final = 0.5

# smsgate's statuses as the SMS result statuses of this API
STATUS: Final = {
    Status.ACCEPTED: "pending",
    Status.SCHEDULED: "pending",
    Status.QUEUED: "pending",
    Status.SENDING: "pending",
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "undelivered",
    Status.EXPIRED: "expired",
    Status.FAILED: "failed",
    Status.REJECTED: "failed",
    Status.CANCELED: "canceled",
}


def timestamp(at: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the guide's answer has it: 2022-03-22T11:44:30.231Z."""
    return iso_time(at) or ""


def msg_id(message_id: str) -> str:
    """A message id as the guide's answer writes msgId and orderId: a UUID with hyphens
    (smsgate's ids are UUIDs already, kept as 32 hex digits)."""
    return str(uuid.UUID(message_id))


def message_id(raw: str) -> str:
    """The stored id of a msgId a client sends back, with or without hyphens; anything else
    as it is (no message has it: 404)."""
    try:
        return uuid.UUID(raw).hex
    except ValueError:
        return raw


def _envelope(smsmessage: dict[str, Any]) -> dict[str, Any]:
    return {"smsmessage": smsmessage, "Destination": DESTINATION}


def accepted_body(message: Message) -> dict[str, Any]:
    """The 202 answer to a send."""
    return _envelope(
        {
            # one request, one message: the guide's answer gives both ids the same value
            "orderId": msg_id(message.id),
            "status": "pending",
            "msgId": msg_id(message.id),
            "timestamp": timestamp(message.created_at),
        }
    )


def status_body(message: Message) -> dict[str, Any]:
    """The answer to a status check."""
    failed = message.error_code if message.status is not Status.DELIVERED else None
    return _envelope(
        {
            "orderId": msg_id(message.id),
            "msgId": msg_id(message.id),
            "status": STATUS[message.status],
            "timestamp": timestamp(message.updated_at),
            "userContact": "+" + message.destination,
            "smsNumber": national(message.source),
            "carrier": message.carrier,
            "segments": message.segments,
            "errorCode": failed,
            "errorMessage": (message.error_detail or _catalog_message(failed)) if failed else None,
        }
    )


def _catalog_message(code: str) -> str:
    try:
        return GatewayError(code).entry.message
    except KeyError:
        return code


def error_response(error: GatewayError) -> JsonResponse:
    status = int(dialect_code(error.code, DIALECT) or error.http_status)
    body = {
        "error": {
            "code": status,
            "status": HTTPStatus(status).phrase,
            "message": error.detail or error.entry.message,
            "reason": error.code,
        }
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="smsgate"'
    elif status in (429, 503, 504):
        headers["Retry-After"] = "1"
    return JsonResponse(body, status_code=status, headers=headers or None)


def notification_values(item: OutboxItem) -> dict[str, Any]:
    """The JSON of an SMS result notification (a status change) or an SMS-MO notification."""
    payload = item.payload
    if item.event == INBOUND_EVENT:
        return _envelope(
            {
                "moId": payload.get("id"),
                "userContact": _plus(payload.get("from")),
                "smsNumber": national(payload.get("to")),
                "smsText": payload.get("text"),
                "timestamp": timestamp(float(payload.get("received_at") or item.created_at)),
            }
        )
    status = Status(item.event)
    return _envelope(
        {
            "orderId": msg_id(str(payload.get("id"))),
            "msgId": msg_id(str(payload.get("id"))),
            "status": STATUS[status],
            "timestamp": timestamp(float(payload.get("at") or item.created_at)),
            "userContact": payload.get("to"),
            "smsNumber": national(payload.get("from")),
            "errorCode": payload.get("error_code"),
            "errorMessage": payload.get("error_message"),
        }
    )


def national(number: Any) -> Any:
    """A Japanese number (81 and digits) as the national 0 and digits; others as they are."""
    if isinstance(number, str) and number.startswith("81") and number.isdigit():
        return "0" + number[2:]
    return number


def _plus(number: Any) -> Any:
    if isinstance(number, str) and number and not number.startswith("+"):
        return "+" + number
    return number


CALLBACK_FORMAT: Final = CallbackFormat(
    DIALECT, notification_values, NOTIFY_ATTEMPTS, NOTIFY_TIMEOUT
)
