"""Zettai Reach! SMS p5 shapes: answers with a responseCode, send statuses, carrier ids and
Japan-time timestamps."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from smsgate.api.http.responses import JsonResponse
from smsgate.callbacks.formats import CallbackFormat
from smsgate.domain.errors import CATALOG, GatewayError, dialect_code
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.notify import INBOUND_EVENT
from smsgate.store import OutboxItem

DIALECT: Final = "p5"
DETAIL: Final = "p5_detail"  # five-digit codes of failed sends
SUCCESS: Final = 0
SYSTEM_ERROR: Final = 900
UNKNOWN_FAILURE: Final = "99999"
JST: Final = timezone(timedelta(hours=9), "JST")

# carrierId values: the order in which the platform names the four carriers
CARRIER_IDS: Final[dict[str, str]] = {"1": "docomo", "2": "au", "3": "softbank", "4": "rakuten"}
CARRIER_ID_OF: Final[dict[str, str]] = {name: number for number, name in CARRIER_IDS.items()}

SEND_STATUS: Final[dict[Status, str]] = {
    Status.ACCEPTED: "waiting",
    Status.SCHEDULED: "waiting",
    Status.QUEUED: "waiting",
    Status.SENDING: "sending",
    Status.SENT: "sending",
    Status.DELIVERED: "done",
    Status.UNDELIVERED: "failed",
    Status.FAILED: "failed",
    Status.EXPIRED: "failed",
    Status.REJECTED: "failed",
    Status.CANCELED: "canceled",
}


def japan_time(seconds: float | None, *, with_seconds: bool = True) -> str | None:
    if seconds is None:
        return None
    pattern = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(seconds, UTC).astimezone(JST).strftime(pattern)


def national(e164: str) -> str:
    """A Japanese number's national form (0X0...); others stay E.164."""
    return "0" + e164[2:] if e164.startswith("81") else "+" + e164


def answer(**fields: Any) -> JsonResponse:
    return JsonResponse({"responseCode": SUCCESS, "responseMessage": "Success", **fields})


def error_response(error: GatewayError) -> JsonResponse:
    """A refused request: HTTP 200 with the responseCode, as the platform answers."""
    code = dialect_code(error.code, DIALECT)
    return JsonResponse(
        {
            "responseCode": int(code) if code else SYSTEM_ERROR,
            "responseMessage": error.entry.message,
            "responseDetail": error.detail or None,
        }
    )


def reservation(message: Message) -> dict[str, Any]:
    return {
        "clientTag": message.client_ref,
        "groupTag": message.tag,
        "phoneNumber": national(message.destination),
        "scheduleTime": japan_time(message.scheduled_at, with_seconds=False),
        "messageId": message.id,
    }


def send_status(message: Message) -> dict[str, Any]:
    status = SEND_STATUS[message.status]
    sent = [p.submitted_at for p in message.parts if p.submitted_at is not None]
    done = [p.done_at for p in message.parts if p.done_at is not None]
    failed = status == "failed"
    entry = CATALOG.get(message.error_code) if message.error_code else None
    return {
        "clientTag": message.client_ref,
        "groupTag": message.tag,
        "messageId": message.id,
        "phoneNumber": national(message.destination),
        "status": status,
        "carrierId": CARRIER_ID_OF.get(message.carrier or ""),
        "carrier": message.carrier,
        "scheduleTime": japan_time(message.scheduled_at, with_seconds=False),
        "sendTime": japan_time(min(sent)) if sent else None,
        "receiveTime": japan_time(max(done)) if status == "done" and done else None,
        "errorCode": (dialect_code(message.error_code or "", DETAIL) or UNKNOWN_FAILURE)
        if failed
        else None,
        "errorMessage": (message.error_detail or (entry.message if entry else None))
        if failed
        else None,
    }


def callback_values(item: OutboxItem) -> dict[str, Any]:
    """The form of a delivery report (or, for MO, of a reply from a handset)."""
    payload = item.payload
    if item.event == INBOUND_EVENT:
        return {
            "phoneNumber": national(str(payload.get("from"))),
            "smsCode": payload.get("to"),
            "message": payload.get("text"),
            "receiveTime": japan_time(payload.get("received_at")),
        }
    status = SEND_STATUS[Status(item.event)]
    code = payload.get("error_code") if status == "failed" else None
    return {
        "clientTag": payload.get("client_ref"),
        "groupTag": payload.get("tag"),
        "messageId": payload.get("id"),
        "phoneNumber": national(str(payload.get("to")).removeprefix("+")),
        "status": status,
        "statusTime": japan_time(payload.get("at")),
        "errorCode": (dialect_code(code, DETAIL) or UNKNOWN_FAILURE) if code else None,
        "errorMessage": payload.get("error_message") if code else None,
    }


CALLBACK_FORMAT: Final = CallbackFormat(DIALECT, callback_values, body="form")
