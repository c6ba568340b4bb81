"""Reach (TalkyLabs) shapes: the message item, the error body and the status names."""

from typing import Any, Final

from smsgate.api.http.responses import JsonResponse
from smsgate.api.http.schemas import iso_time
from smsgate.callbacks.formats import CallbackFormat
from smsgate.domain.errors import CATALOG, GatewayError, dialect_code
from smsgate.domain.message import Message, recipient
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.notify import INBOUND_EVENT

DIALECT: Final = "reach"
API_VERSION: Final = "1.0.0"
MORE_INFO: Final = "docs/dialects/reach.md#error-codes"
UNKNOWN_ERROR: Final = 30008  # a failure the table has no code for

# smsgate's statuses in Reach's words; expired and rejected are resolved in `reach_status`
STATUS: Final[dict[Status, str]] = {
    Status.ACCEPTED: "accepted",
    Status.SCHEDULED: "scheduled",
    Status.QUEUED: "queued",
    Status.SENDING: "sending",
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.UNDELIVERED: "undelivered",
    Status.FAILED: "failed",
    Status.CANCELED: "canceled",
    Status.REJECTED: "failed",
    Status.DISPLAYED: "delivered",  # Reach has no read status
    Status.REVOKED: "undelivered",  # taken back from RCS before it was delivered
}
FAILED: Final = frozenset({"failed", "undelivered"})


def reach_status(message: Message) -> str:
    if message.status is Status.EXPIRED:
        # Reach has no "expired": a message that reached the carrier went undelivered there,
        # one that never left smsgate failed
        sent = any(part.submitted_at is not None for part in message.parts)
        return "undelivered" if sent else "failed"
    return STATUS[message.status]


def error_code(code: str | None) -> int | None:
    if code is None:
        return None
    return int(dialect_code(code, DIALECT) or UNKNOWN_ERROR)


def source_address(message: Message) -> str:
    """E.164 with "+" for an international number (ton 1), else as stored."""
    return "+" + message.source if message.source_ton == 1 else message.source


def message_item(message: Message, account_id: str) -> dict[str, Any]:
    status = reach_status(message)
    failed = status in FAILED
    code = message.error_code if failed else None
    entry = CATALOG.get(code) if code else None
    sent = [part.submitted_at for part in message.parts if part.submitted_at is not None]
    return {
        "appletId": account_id,
        "apiVersion": API_VERSION,
        "body": message.text,
        "dest": recipient(message),
        "src": source_address(message),
        "bulkId": message.tag,
        "numSegments": message.segments,
        "numMedia": 0,
        "price": float(message.price) if message.price is not None else None,
        "priceUnit": message.price_unit.lower() if message.price_unit else None,
        "messageId": message.id,
        "status": status,
        "messageType": "outbound",
        "errorCode": error_code(code) if failed and code else None,
        "errorMessage": (message.error_detail or (entry.message if entry else None))
        if failed and code
        else None,
        "dateCreated": iso_time(message.created_at),
        "dateSent": iso_time(min(sent)) if sent else None,
        "dateUpdated": iso_time(message.updated_at),
    }


def error_response(error: GatewayError) -> JsonResponse:
    status = error.http_status
    body = {
        "errorCode": error_code(error.code) or UNKNOWN_ERROR,
        "errorMessage": error.entry.message,
        # an object, as Reach's client libraries decode it
        "errorDetails": {"detail": error.detail or error.entry.message},
        "more_info": MORE_INFO,
        "status": status,
    }
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return JsonResponse(body, status_code=status, headers=headers)


def callback_values(item: OutboxItem) -> dict[str, Any]:
    """The form of a status callback (or, for MO, of an inbound message) in Reach's words.
    `body` is the head of the text the outbox keeps (its first 20 characters)."""
    payload = item.payload
    if item.event == INBOUND_EVENT:
        return {
            "messageId": payload.get("id"),
            "src": "+" + str(payload.get("from")),
            "dest": "+" + str(payload.get("to")),
            "body": payload.get("text"),
            "numSegments": payload.get("segments"),
            "numMedia": 0,
            "status": "received",
            "messageType": "inbound",
        }
    status = Status(item.event)
    # the outbox item does not say whether an expired message reached the carrier
    reach = "undelivered" if status is Status.EXPIRED else STATUS[status]
    code = payload.get("error_code") if reach in FAILED else None
    source = str(payload.get("from"))
    return {
        "messageId": payload.get("id"),
        "src": "+" + source if payload.get("source_ton") == 1 else source,
        "dest": payload.get("to"),
        "body": payload.get("text_head"),
        "bulkId": payload.get("tag"),
        "numSegments": payload.get("segments"),
        "numMedia": 0,
        "status": reach,
        "errorCode": error_code(code),
        "errorMessage": payload.get("error_message") if code else None,
        "dlrDate": payload.get("dlrDate"),
    }


# the status changes Reach's send page says it POSTs to a statusCallback
NOTIFIED: Final = frozenset({"queued", "failed", "sent", "canceled", "delivered", "undelivered"})


def notified(item: OutboxItem) -> bool:
    """MO, and the status changes Reach notifies (not accepted, scheduled or sending)."""
    if item.event == INBOUND_EVENT:
        return True
    status = Status(item.event)
    return status is Status.EXPIRED or STATUS[status] in NOTIFIED


CALLBACK_FORMAT: Final = CallbackFormat(DIALECT, callback_values, body="form", wanted=notified)
