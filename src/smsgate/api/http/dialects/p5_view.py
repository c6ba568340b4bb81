"""Zettai Reach! SMS p5 shapes, as the platform's OpenAPI specification (v1.4.7) gives them:
answers with a responseCode and its message, send statuses (statusId, detailedStatusId),
carrier ids, international numbers, Japan-time timestamps and the DLR push."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import orjson

from smsgate.api.http.responses import JsonResponse
from smsgate.callbacks.formats import CallbackFormat
from smsgate.domain.errors import GatewayError, dialect_code
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.notify import INBOUND_EVENT

DIALECT: Final = "p5"
DETAIL: Final = "p5_detail"  # classification (last three digits) of a failed send
SUCCESS: Final = "Success."
SYSTEM_ERROR: Final = 500
JST: Final = timezone(timedelta(hours=9), "JST")
DLR_TIME: Final = "%Y/%m/%d %H:%M:%S"

# carrierId values and the names the platform gives them, by smsgate's carrier name
CARRIER_IDS: Final[dict[str, str]] = {
    "101": "au",
    "103": "docomo",
    "105": "softbank",
    "106": "rakuten",
}
CARRIER_ID_OF: Final[dict[str, str]] = {name: number for number, name in CARRIER_IDS.items()}
CARRIER_NAMES: Final[dict[str, str]] = {
    "101": "AU",
    "103": "Docomo",
    "105": "Softbank",
    "106": "楽天モバイル",
}
# first two digits of a detailedStatusId: the carrier's module; 90 for smsgate itself
MODULES: Final[dict[str, str]] = {"au": "11", "docomo": "31", "softbank": "51", "rakuten": "61"}
OWN_MODULE: Final = "90"

STATUS_IDS: Final[dict[Status, str]] = {
    Status.ACCEPTED: "0",
    Status.SCHEDULED: "0",
    Status.QUEUED: "0",
    Status.SENDING: "1",
    Status.SENT: "1",
    Status.DELIVERED: "2",
    Status.UNDELIVERED: "3",
    Status.FAILED: "3",
    Status.EXPIRED: "3",
    Status.REJECTED: "3",
    Status.CANCELED: "3",
    Status.DISPLAYED: "2",  # delivered, and read
    Status.REVOKED: "3",
}
STATUS_DESCRIPTIONS: Final[dict[str, str]] = {
    "0": "Unknown",
    "1": "Message is Sending",
    "2": "Message delivered",
    "3": "Message delivery failed",
}

# responseMessage of each responseCode; {item} is the parameter concerned
RESPONSE_MESSAGES: Final[dict[int, str]] = {
    100: "Required {item}.",
    110: "Invalid {item}.",
    120: "{item} too long.",
    130: "Already send.",
    140: "Past {item}.",
    300: "Exceed sending count.",
    400: "Duplicate client tag.",
    500: "System error.",
}
PARAMETERS: Final = frozenset(
    [
        "token",
        "clientId",
        "smsCode",
        "message",
        "phoneNumber",
        "carrierId",
        "clientTag",
        "scheduleTime",
        "groupTag",
        "scheduleDate",
        "date",
        "startDate",
        "endDate",
    ]
)
# the parameter an engine's refusal concerns, when the dialect did not name one
ITEM_OF: Final[dict[str, str]] = {
    "invalid_destination": "phoneNumber",
    "no_route": "phoneNumber",
    "no_price": "phoneNumber",
    "opted_out": "phoneNumber",
    "invalid_source": "smsCode",
    "invalid_text": "message",
    "message_too_long": "message",
    "invalid_schedule": "scheduleTime",
    "schedule_in_past": "scheduleTime",
    "unauthorized": "token",
    "forbidden": "clientId",
    "not_found": "clientTag",
}


def japan_time(seconds: float, pattern: str) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(JST).strftime(pattern)


def international(e164_digits: str) -> str:
    return "+" + e164_digits.removeprefix("+")


def sms_code(source: str) -> int | str:
    """The smsCode as the specification types it in answers: a number."""
    return int(source) if source.isdigit() else source


def answer(**fields: Any) -> JsonResponse:
    return JsonResponse({"responseCode": 0, "responseMessage": SUCCESS, **fields})


def error_response(error: GatewayError) -> JsonResponse:
    """A refused request: HTTP 200 with the responseCode and its message. Errors the dialect
    raises carry the parameter's name as their detail."""
    code = int(dialect_code(error.code, DIALECT) or SYSTEM_ERROR)
    item = error.detail if error.detail in PARAMETERS else ITEM_OF.get(error.code, "request")
    message = RESPONSE_MESSAGES.get(code, RESPONSE_MESSAGES[SYSTEM_ERROR])
    return JsonResponse({"responseCode": code, "responseMessage": message.format(item=item)})


def reservation(message: Message) -> dict[str, Any]:
    """An item of checkreservation.json's `status`."""
    return {
        "scheduleTime": japan_time(message.scheduled_at or 0, "%Y-%m-%d %H:%M"),
        "phoneNumber": international(message.destination),
        "message": message.text,
        "smsCode": sms_code(message.source),
        "clientTag": message.client_ref,
    }


def detailed_status_id(status_id: str, error_code: str | None, carrier: str | None) -> str | None:
    """Five digits for a failed send (module + classification); for a delivered one
    the statusId, as the specification's examples show; none while the send is under way."""
    if status_id == "2":
        return status_id
    if status_id != "3":
        return None
    classification = dialect_code(error_code or "internal", DETAIL) or "999"
    # 7xx and 8xx are the carrier's (the specification's); 9xx are smsgate's own
    from_carrier = classification[0] in "78"
    return (MODULES.get(carrier or "", OWN_MODULE) if from_carrier else OWN_MODULE) + classification


def send_status(message: Message) -> dict[str, Any]:
    """An item of status.json's `status`."""
    status_id = STATUS_IDS[message.status]
    carrier_id = CARRIER_ID_OF.get(message.carrier or "")
    settled = status_id in ("2", "3")
    return {
        "dateTime": _milliseconds(message.updated_at),
        "phoneNumber": international(message.destination),
        "message": message.text,
        "smsCode": sms_code(message.source),
        "carrierId": carrier_id,
        "carrierName": CARRIER_NAMES.get(carrier_id or ""),
        "statusId": status_id,
        "clientTag": message.client_ref or "",
        "detailedStatusId": detailed_status_id(status_id, message.error_code, message.carrier),
        "separatedSuccessCount": separated_success_count(message) if settled else None,
    }


def separated_success_count(message: Message) -> int:
    """The parts of a settled send that the carrier accepted (those it gave an id): all of a
    delivered send, none of one canceled or refused before it reached a carrier."""
    return sum(1 for part in message.parts if part.upstream_id is not None)


def _milliseconds(seconds: float) -> str:
    """`yyyyMMdd HHmmSSsss` in Japan time."""
    return japan_time(seconds, "%Y%m%d %H%M%S") + f"{int(seconds * 1000) % 1000:03d}"


def dlr_wanted(item: OutboxItem) -> bool:
    """The platform pushes the status of sends that had a clientTag only; replies from
    handsets (which its specification does not cover) always go."""
    return item.event == INBOUND_EVENT or bool(item.payload.get("client_ref"))


def callback_values(item: OutboxItem) -> dict[str, Any]:
    """The DLR push: one form field, `json`, holding the notification. A reply from a handset
    (smsgate's own shape): its fields as the form."""
    payload = item.payload
    if item.event == INBOUND_EVENT:
        return {
            "phoneNumber": international(str(payload.get("from"))),
            "smsCode": payload.get("to"),
            "message": payload.get("text"),
            "receiveTime": japan_time(float(payload.get("received_at") or 0), DLR_TIME),
        }
    status_id = STATUS_IDS[Status(item.event)]
    carrier = payload.get("carrier")
    carrier_id = CARRIER_ID_OF.get(carrier or "")
    detail = detailed_status_id(status_id, payload.get("error_code"), carrier)
    notification = {
        "type": "DLR",
        "dateTime": japan_time(float(payload.get("at") or 0), DLR_TIME),
        "messageId": payload.get("id"),
        "phoneNumber": international(str(payload.get("to"))),
        "smsCode": str(payload.get("from")),
        "carrierId": carrier_id,
        "carrierName": CARRIER_NAMES.get(carrier_id or ""),
        "messageText": payload.get("text_head"),
        "clientId": item.account_id,
        "clientTag": payload.get("client_ref"),
        "statusId": status_id,
        "statusDescription": STATUS_DESCRIPTIONS[status_id],
        "detailedStatusId": int(detail) if detail else None,
        "separatedSuccessCount": payload.get("segments") if status_id == "2" else None,
    }
    document = {"eventNotifications": [notification]}
    return {"json": orjson.dumps(document).decode()}


# the platform waits 10 s for a 2xx and retries 3 times
CALLBACK_FORMAT: Final = CallbackFormat(
    DIALECT, callback_values, max_attempts=4, timeout=10.0, body="form", wanted=dlr_wanted
)
