"""The compatible APIs' operations for the OpenAPI document: parameters, answers and the shapes
of their bodies as each dialect's view module writes them (docs/dialects/ has the rules)."""

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from smsgate.api.http.dialects import kddi, p5, reach
from smsgate.api.http.operations import Answer, Key, Operation, Param

REACH_TAG: Final = "Reach (TalkyLabs)"
P5_TAG: Final = "Zettai Reach! SMS p5"
KDDI_TAG: Final = "KDDI Message Cast"
SMSC_TAG: Final = "SMSC.ru"

FORM: Final = ("application/x-www-form-urlencoded", "application/json")


class ReachMessage(BaseModel):
    appletId: str = Field(description="The account's id")
    apiVersion: str
    body: str
    dest: str
    src: str
    bulkId: str | None
    numSegments: int
    numMedia: int
    price: float | None
    priceUnit: str | None
    messageId: str
    status: str = Field(description="accepted, scheduled, queued, sending, sent, delivered, ...")
    messageType: str
    errorCode: int | None
    errorMessage: str | None
    dateCreated: str | None
    dateSent: str | None
    dateUpdated: str | None


class ReachPage(BaseModel):
    page: int
    pageSize: int
    totalMessages: int
    totalPages: int
    outOfPageRange: bool
    messages: list[ReachMessage]


class ReachError(BaseModel):
    errorCode: int = Field(description="Reach's error code (docs/dialects/reach.md)")
    errorMessage: str
    errorDetails: dict[str, str]
    more_info: str
    status: int


class P5Answer(BaseModel):
    model_config = ConfigDict(extra="allow")

    responseCode: int = Field(description="0: success; else the error (always HTTP 200)")
    responseMessage: str


class KddiSms(BaseModel):
    model_config = ConfigDict(extra="allow")

    orderId: str | None
    msgId: str
    status: str
    timestamp: str


class KddiRcs(BaseModel):
    model_config = ConfigDict(extra="allow")

    msgId: str
    status: str = Field(
        description="pending, sent, delivered, displayed, failed, revoked or expired"
    )
    timestamp: str


class KddiFallback(BaseModel):
    from_: str = Field(alias="from", description="the channel the message left: rcs")
    reason: str | None


class KddiAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    smsmessage: KddiSms | None = Field(None, description="a message by SMS")
    RCSMessage: KddiRcs | None = Field(None, description="a message by +message")
    Destination: str = Field(description="sms or rcs: the channel it goes by")
    fallback: KddiFallback | None = Field(None, description="why a +message went by SMS")


class KddiCapability(BaseModel):
    userContact: str
    capable: bool


class KddiSubscriber(BaseModel):
    userContact: str
    subscribedAt: str


class KddiSubscribers(BaseModel):
    subscribers: list[KddiSubscriber]
    next: str | None = Field(description="the `after` of the next page; null on the last")


class KddiErrorBody(BaseModel):
    code: int
    status: str
    message: str
    reason: str = Field(description="smsgate's catalog code")


class KddiError(BaseModel):
    error: KddiErrorBody


def _fields(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A request body of string parameters (a form, or a JSON object of the same names)."""
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": list(required),
    }


def _query(*names: str, required: tuple[str, ...] = ()) -> tuple[Param, ...]:
    return tuple(Param(name, "query", required=name in required) for name in names)


REACH_ERRORS: Final = (
    "missing_credentials",
    "unauthorized",
    "forbidden",
    "address_blocked",
    "invalid_filter_character",
    "missing_parameter",
    "internal",
)
_REACH_ID = ("messageId",)


def _reach(
    summary: str, ok: int, answer: Answer, errors: tuple[str, ...], **more: Any
) -> Operation:
    return Operation(
        summary,
        REACH_TAG,
        {ok: answer},
        errors=(*REACH_ERRORS, *errors),
        error_model=ReachError,
        security=("reachUser", "reachKey"),
        request_media=FORM,
        **more,
    )


_REACH_MESSAGE = Answer("The message", ReachMessage)
_REACH_SEND = (
    "dest",
    "src",
    "body",
    "bulkIdentifier",
    "statusCallback",
    "maxPrice",
    "validityPeriod",
    "scheduledTime",
)

DIALECTS: Final[dict[Key, Operation]] = {
    ("POST", f"{reach.PREFIX}/create"): _reach(
        "Send a message",
        201,
        Answer("Accepted", ReachMessage),
        (
            "invalid_destination",
            "invalid_source",
            "text_too_long",
            "invalid_character",
            "channel_unavailable",
            "invalid_schedule",
            "schedule_in_past",
            "invalid_validity",
            "invalid_callback_url",
            "invalid_max_price",
            "no_route",
            "insufficient_balance",
            "throttled",
        ),
        description="Parameters as a form or a JSON object; they may also be in the query.",
        request_schema=_fields(*_REACH_SEND, required=("dest", "src", "body")),
    ),
    ("GET", f"{reach.PREFIX}/fetch"): _reach(
        "A message",
        200,
        _REACH_MESSAGE,
        ("not_found",),
        params=_query(*_REACH_ID, required=_REACH_ID),
    ),
    ("GET", f"{reach.PREFIX}/list"): _reach(
        "A page of messages",
        200,
        Answer("The page", ReachPage),
        ("invalid_page", "invalid_page_size", "invalid_destination", "invalid_request"),
        params=_query(
            "page", "pageSize", "dest", "src", "bulkIdentifier", "sentAt", "sentAfter", "sentBefore"
        ),
    ),
    ("POST", f"{reach.PREFIX}/unschedule"): _reach(
        "Cancel a scheduled message",
        200,
        _REACH_MESSAGE,
        ("not_found", "not_cancelable"),
        request_schema=_fields(*_REACH_ID, required=_REACH_ID),
    ),
    ("POST", f"{reach.PREFIX}/update"): _reach(
        "Change a message's text (an empty body redacts it)",
        200,
        _REACH_MESSAGE,
        ("not_found",),
        request_schema=_fields("messageId", "body", required=("messageId", "body")),
    ),
    **{
        (method, f"{reach.PREFIX}/delete"): _reach(
            "Delete a message in a final status",
            204,
            Answer("Deleted"),
            ("not_found", "not_deletable"),
            params=_query(*_REACH_ID),
            request_schema=_fields(*_REACH_ID) if method == "POST" else None,
        )
        for method in ("DELETE", "POST")
    },
}

_P5_AUTH = ("token", "clientId")
_P5: Final = {
    "mt.json": (
        "Send a message",
        (
            *_P5_AUTH,
            "smsCode",
            "message",
            "phoneNumber",
            "carrierId",
            "clientTag",
            "groupTag",
            "scheduleTime",
        ),
        (*_P5_AUTH, "smsCode", "message", "phoneNumber"),
        "phoneNumber and smsMessage",
    ),
    "status.json": (
        "Send statuses by clientTag or by day",
        (*_P5_AUTH, "clientTag", "date"),
        _P5_AUTH,
        "status: a list of send statuses",
    ),
    "checkreservation.json": (
        "Scheduled sends",
        (*_P5_AUTH, "smsCode", "clientTag", "groupTag", "scheduleTime", "scheduleDate"),
        (*_P5_AUTH, "smsCode"),
        "count and status: the scheduled sends",
    ),
    "cancelreservation.json": (
        "Cancel a scheduled send",
        (*_P5_AUTH, "clientTag"),
        (*_P5_AUTH, "clientTag"),
        "clientTag",
    ),
    "cancelreservationall.json": (
        "Cancel scheduled sends (of a groupTag, between dates)",
        (*_P5_AUTH, "groupTag", "startDate", "endDate"),
        _P5_AUTH,
        "responseCode 0",
    ),
}

for _name, (_summary, _params, _required, _fields_given) in _P5.items():
    for _method in ("GET", "POST"):
        DIALECTS[(_method, f"{p5.PREFIX}/{_name}")] = Operation(
            _summary,
            P5_TAG,
            {200: Answer(f"responseCode 0 with {_fields_given}; or an error's code", P5Answer)},
            description="Every answer is HTTP 200; responseCode tells (docs/dialects/p5.md).",
            params=_query(*_params, required=_required) if _method == "GET" else (),
            request_schema=_fields(*_params, required=_required) if _method == "POST" else None,
            request_media=FORM[:1],
            security=(),
        )

_KDDI_FALLBACK = Param(
    "X-Fallback",
    "header",
    "0: +message with SMS fallback, 1: +message only, 2: SMS only",
    required=True,
)
_KDDI_HEADERS = (
    *(
        Param(name, "header", "Bearer smsonly (SMS) or Bearer <API key> (+message)", required=True)
        for name in kddi.CARRIER_HEADERS
    ),
    _KDDI_FALLBACK,
)
_KDDI_ERRORS = (
    "unauthorized",
    "forbidden",
    "address_blocked",
    "invalid_filter_character",
    "invalid_request",
    "missing_parameter",
    "internal",
)
_KDDI_SEND_BODY: Final = {
    "type": "object",
    "properties": {
        "message": {
            "type": "object",
            "properties": {
                "RCSMessage": {"type": "object", "description": "the +message content"},
                "messageContact": {"type": "object"},
            },
        },
        "messageContact": {
            "type": "object",
            "properties": {"userContact": {"type": "string", "description": "+81..."}},
        },
        "smsmessage": {
            "type": "object",
            "properties": {
                name: {"type": "string"} for name in ("smsText", "smsTextEnc", "smsNumber", "dst")
            },
        },
        "dst": {"type": "string"},
    },
}
_KDDI_SEND_ERRORS = (
    *_KDDI_ERRORS,
    "invalid_destination",
    "invalid_text",
    "invalid_rcs_content",
    "rcs_unavailable",
    "parameter_too_long",
    "request_too_large",
    "no_route",
    "throttled",
)
DIALECTS[("POST", kddi.PREFIX)] = Operation(
    "Send by SMS, by +message, or by +message with SMS fallback",
    KDDI_TAG,
    {202: Answer("Accepted", KddiAnswer)},
    params=_KDDI_HEADERS,
    request_schema=_KDDI_SEND_BODY,
    errors=_KDDI_SEND_ERRORS,
    error_model=KddiError,
    security=("kddiBasic",),
)
DIALECTS[("POST", kddi.RCS_PATH)] = Operation(
    "Send by +message (the RCS API's path; the account's bot)",
    KDDI_TAG,
    {202: Answer("Accepted", KddiAnswer)},
    params=(
        Param("X-Auth-Token", "header", "The account's API key", required=True),
        _KDDI_FALLBACK,
    ),
    request_schema=_KDDI_SEND_BODY,
    errors=_KDDI_SEND_ERRORS,
    error_model=KddiError,
    security=(),
)
DIALECTS[("GET", kddi.PREFIX + "/{msg_id}/status")] = Operation(
    "A message's status (by SMS or by +message)",
    KDDI_TAG,
    {200: Answer("The status", KddiAnswer)},
    errors=(*_KDDI_ERRORS, "not_found"),
    error_model=KddiError,
    security=("kddiBasic",),
)
for _method in ("GET", "POST"):
    DIALECTS[(_method, kddi.BOT_PREFIX + "/contactCapabilities")] = Operation(
        "Whether a number can receive +message",
        KDDI_TAG,
        {200: Answer("The answer", KddiCapability)},
        params=(Param("userContact", "query", "+81..."),) if _method == "GET" else (),
        request_schema={
            "type": "object",
            "properties": {
                "messageContact": {
                    "type": "object",
                    "properties": {"userContact": {"type": "string"}},
                }
            },
        }
        if _method == "POST"
        else None,
        errors=(*_KDDI_ERRORS, "invalid_destination", "rcs_unavailable"),
        error_model=KddiError,
        security=("kddiBasic",),
    )
DIALECTS[("GET", kddi.BOT_PREFIX + "/subscribers")] = Operation(
    "The bot's subscribers, by number",
    KDDI_TAG,
    {200: Answer("A page", KddiSubscribers)},
    params=(
        Param("limit", "query", "1 to 1000 (100)", kind="integer"),
        Param("after", "query", "the previous page's next"),
    ),
    errors=(*_KDDI_ERRORS, "invalid_page_size", "invalid_destination"),
    error_model=KddiError,
    security=("kddiBasic",),
)

_SMSC_AUTH = ("login", "psw", "apikey", "fmt", "charset")
_SMSC: Final = {
    "send.php": (
        "Send to one or more phones",
        (
            *_SMSC_AUTH,
            "phones",
            "mes",
            "sender",
            "time",
            "tz",
            "valid",
            "id",
            "cost",
            "translit",
            "maxsms",
        ),
    ),
    "status.php": ("A message's status", (*_SMSC_AUTH, "phone", "id", "all")),
    "balance.php": ("The account's balance", (*_SMSC_AUTH, "cur")),
}
_SMSC_ANSWER: Final = Answer(
    "The answer or an error, in the format fmt asks: 0 text, 1 comma-separated, 2 XML, 3 JSON",
    schema={"type": "string"},
    media="text/plain",
    more_media={"text/xml": {"type": "string"}, "application/json": {"type": "object"}},
)
for _name, (_summary, _params) in _SMSC.items():
    for _method in ("GET", "POST"):
        DIALECTS[(_method, f"/sys/{_name}")] = Operation(
            _summary,
            SMSC_TAG,
            {200: _SMSC_ANSWER},
            description="Every answer is HTTP 200 (docs/dialects/smsc_ru.md).",
            params=_query(*_params) if _method == "GET" else (),
            request_schema=_fields(*_params) if _method == "POST" else None,
            request_media=FORM[:1],
            security=(),
        )

PATH_PARAMS: Final = {
    "aggregator": "The aggregator's name (any)",
    "bot_id": "The account's bot id",
    "msg_id": "The msgId of the send's answer",
}

SECURITY_SCHEMES: Final = {
    "reachUser": {"type": "apiKey", "in": "header", "name": "ApiUser"},
    "reachKey": {"type": "apiKey", "in": "header", "name": "ApiKey"},
    "kddiBasic": {"type": "http", "scheme": "basic"},
}
