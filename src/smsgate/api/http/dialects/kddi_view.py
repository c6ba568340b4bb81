"""KDDI Message Cast: the shapes of SMS answers, errors and notifications, and the callback
format that sends +message items in their own shapes (kddi_rcs_view; docs/dialects/kddi.md)."""

from http import HTTPStatus
from typing import Any, Final

from smsgate.api.http.dialects import kddi_rcs_view
from smsgate.api.http.dialects.kddi_values import msg_id, national, plus, timestamp
from smsgate.api.http.responses import JsonResponse
from smsgate.callbacks.formats import CallbackFormat
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError, dialect_code
from smsgate.domain.message import Message, StatusChange
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
    Status.DISPLAYED: "delivered",  # read after delivery; SMS has no read reports
    Status.REVOKED: "canceled",
}


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


def accepted(message: Message) -> dict[str, Any]:
    """The 202 answer to a send: by +message or by SMS, as the message goes now."""
    if message.channel == kddi_rcs_view.RCS:
        return kddi_rcs_view.accepted_body(message)
    return accepted_body(message)


def checked_status(message: Message, history: list[StatusChange]) -> dict[str, Any]:
    """The answer to a status check: the +message's while it is on +message; else the SMS's,
    with why it left +message when it was meant for it."""
    if message.channel == kddi_rcs_view.RCS:
        return kddi_rcs_view.status_body(message)
    body = status_body(message)
    fallback = kddi_rcs_view.fallback_of(message, history)
    if fallback is not None:
        body["fallback"] = fallback
    return body


def status_body(message: Message) -> dict[str, Any]:
    """The SMS answer to a status check."""
    failed = message.error_code if message.status not in _REACHED else None
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


_REACHED: Final = frozenset({Status.DELIVERED, Status.DISPLAYED})


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


def notification_values(item: OutboxItem, account: Account | None = None) -> dict[str, Any]:
    """The JSON of an SMS result notification (a status change), an SMS-MO notification, or
    the bot's webhook for +message items."""
    if kddi_rcs_view.is_rcs_item(item):
        return kddi_rcs_view.webhook_values(item, account)
    payload = item.payload
    if item.event == INBOUND_EVENT:
        return _envelope(
            {
                "moId": payload.get("id"),
                "userContact": plus(payload.get("from")),
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


def notified(item: OutboxItem) -> bool:
    """Every SMS item; a +message's statuses from sent on (its webhook's)."""
    return not kddi_rcs_view.is_rcs_item(item) or kddi_rcs_view.webhook_wanted(item)


# the guide's notifications (SMS results and the bot's webhooks): half a second per attempt,
# three retries
CALLBACK_FORMAT: Final = CallbackFormat(
    DIALECT,
    notification_values,
    NOTIFY_ATTEMPTS,
    NOTIFY_TIMEOUT,
    wanted=notified,
    account_values=notification_values,
)
