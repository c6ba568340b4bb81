"""What each HTTP operation is, for the OpenAPI document: its summary, parameters, request and
answers, keyed by (method, path) as the app's routes declare them. The document takes paths,
methods and path parameters from the routes themselves; a test checks every route has an entry
here and every entry a route."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel

from smsgate.api.http.inbound import QUERY as INBOUND_QUERY
from smsgate.api.http.inbound import InboundList
from smsgate.api.http.opt_outs import OptOutList, OptOutRequest
from smsgate.api.http.schemas import (
    BalanceView,
    BatchResult,
    CampaignCanceled,
    ErrorResponse,
    MessageCounts,
    MessageList,
    MessageView,
    SendBatch,
    SendMessage,
)
from smsgate.domain.status import Status


@dataclass(frozen=True)
class Param:
    name: str
    where: Literal["query", "header", "path"]
    description: str = ""
    kind: str = "string"  # the JSON Schema type
    required: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # more of the schema (enum, bounds)


@dataclass(frozen=True)
class Answer:
    description: str
    # a model (its serialization schema), or a schema written out; neither: no body
    model: type[BaseModel] | None = None
    schema: Mapping[str, Any] | None = None
    media: str = "application/json"
    alternatives: tuple[type[BaseModel], ...] = ()  # other bodies the same status may carry
    headers: Mapping[str, str] = field(default_factory=dict)  # name: description
    more_media: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # media: schema


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    answers: Mapping[int, Answer]
    description: str = ""
    params: tuple[Param, ...] = ()
    request: type[BaseModel] | None = None
    request_schema: Mapping[str, Any] | None = None  # a body without a model
    request_media: tuple[str, ...] = ("application/json",)
    # catalog codes this operation may refuse with; documented under their HTTP status with
    # error_model as the body (None: the API answers its errors as a normal answer)
    errors: tuple[str, ...] = ()
    error_model: type[BaseModel] | None = ErrorResponse
    security: tuple[str, ...] = ("bearer",)  # schemes required together; () for none


Key = tuple[str, str]  # (METHOD, path)


def _platform_webhook(summary: str) -> Operation:
    """A channel platform's webhook: for the platform, not for customers."""
    return Operation(
        summary,
        OPERATIONS_TAG,
        {200: Answer("Taken: persisted before this answer", schema={"type": "object"})},
        description="For the channel's platform, not for customers: its reports (and an RCS"
        " platform's users' messages, taps and subscriptions), authenticated with the"
        " connector's webhook_token as a bearer token (docs/rcs.md, docs/channels.md). 503 asks"
        " the platform to send the event again.",
        params=(Param("connector_id", "path", "The connector's id", required=True),),
        errors=("unauthorized", "invalid_request", "not_found", "request_too_large", "unavailable"),
        security=(),
    )


NATIVE_TAG: Final = "smsgate API v1"
OPERATIONS_TAG: Final = "Operations"

# every authenticated operation: wrong or missing credentials (and too many of them from one
# address), an id or filter no store can keep
AUTH: Final = (
    "unauthorized",
    "forbidden",
    "address_blocked",
    "invalid_filter_character",
    "internal",
)
SEND_ERRORS: Final = (
    *AUTH,
    "invalid_request",
    "unknown_field",
    "request_too_large",
    "insufficient_balance",
    "duplicate",
    "identical",
    "idempotency_key_in_use",
    "idempotency_key_reused",
    "invalid_destination",
    "invalid_source",
    "invalid_text",
    "invalid_character",
    "channel_unavailable",
    "invalid_callback_url",
    "message_too_long",
    "invalid_schedule",
    "invalid_validity",
    "no_route",
    "no_price",
    "opted_out",
    "throttled",
    "queue_full",
    "unavailable",
)

IDEMPOTENCY_KEY: Final = Param(
    "Idempotency-Key",
    "header",
    "The first answer is stored and replayed for 24 hours (docs/api.md)",
    extra={"minLength": 1, "maxLength": 255},
)
REPLAYED: Final = {"Idempotent-Replayed": "true when the answer is a stored one"}
MESSAGE_ID: Final = {"message_id": "The id smsgate gave the message"}


HEALTH: Final = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ready", "starting"]}},
    "required": ["status"],
}
READINESS: Final = {
    "type": "object",
    "properties": {
        "ready": {"type": "boolean"},
        "state": {
            "type": "string",
            "enum": ["starting", "ready", "draining", "fenced", "gone"],
            "description": "fenced: cut off from the database, its work left to other nodes",
        },
        "node": {"type": "string", "description": "This node's id among those sharing the store"},
    },
    "required": ["ready", "state", "node"],
}


def _query(name: str, description: str, kind: str = "string", **extra: Any) -> Param:
    return Param(name, "query", description, kind, extra=extra)


NATIVE: Final[dict[Key, Operation]] = {
    ("POST", "/v1/messages"): Operation(
        "Send a message",
        NATIVE_TAG,
        {202: Answer("Accepted and stored", MessageView, headers=REPLAYED)},
        params=(IDEMPOTENCY_KEY,),
        request=SendMessage,
        errors=SEND_ERRORS,
    ),
    ("GET", "/v1/messages"): Operation(
        "List messages, newest first",
        NATIVE_TAG,
        {200: Answer("A page of messages", MessageList)},
        params=(
            _query("status", "Only in this status", enum=[s.value for s in Status]),
            _query("to", "Only to this number"),
            _query("client_ref", "Only with this client_ref"),
            _query("tag", "Only of this campaign tag"),
            _query("created_after", "ISO 8601, inclusive", format="date-time"),
            _query("created_before", "ISO 8601, exclusive", format="date-time"),
            _query("limit", "1 to 500 (default 50)", "integer", minimum=1, maximum=500),
            _query("cursor", "next_cursor of the previous page"),
        ),
        errors=(*AUTH, "invalid_request", "invalid_destination"),
    ),
    ("POST", "/v1/messages/batch"): Operation(
        "Send up to 1000 messages at once",
        NATIVE_TAG,
        {
            202: Answer(
                "At least one accepted: each message's outcome", BatchResult, headers=REPLAYED
            ),
            422: Answer(
                "None accepted: each message's outcome; or the request refused as a whole"
                " (idempotency_key_reused)",
                BatchResult,
                alternatives=(ErrorResponse,),
            ),
        },
        params=(IDEMPOTENCY_KEY,),
        request=SendBatch,
        errors=(
            *AUTH,
            "invalid_request",
            "unknown_field",
            "request_too_large",
            "idempotency_key_in_use",
            "unavailable",
        ),
    ),
    ("GET", "/v1/messages/count"): Operation(
        "How many messages (of a campaign tag) are in each status",
        NATIVE_TAG,
        {200: Answer("Counts by status", MessageCounts)},
        params=(_query("tag", "Only of this campaign tag"), _query("client_ref", "Only this one")),
        errors=AUTH,
    ),
    ("POST", "/v1/messages/cancel"): Operation(
        "Cancel the scheduled and queued messages of a campaign tag",
        NATIVE_TAG,
        {200: Answer("What was canceled", CampaignCanceled)},
        params=(Param("tag", "query", "The campaign tag", required=True),),
        errors=(*AUTH, "invalid_request"),
    ),
    ("GET", "/v1/messages/{message_id}"): Operation(
        "A message with its parts and status history",
        NATIVE_TAG,
        {200: Answer("The message", MessageView)},
        errors=(*AUTH, "not_found"),
    ),
    ("POST", "/v1/messages/{message_id}/cancel"): Operation(
        "Cancel a scheduled or queued message",
        NATIVE_TAG,
        {200: Answer("The canceled message", MessageView)},
        errors=(*AUTH, "not_found", "not_cancelable"),
    ),
    ("GET", "/v1/balance"): Operation(
        "The account's prepaid balance",
        NATIVE_TAG,
        {200: Answer("The balance", BalanceView)},
        errors=AUTH,
    ),
    ("GET", "/v1/inbound"): Operation(
        "List the MO messages routed to the account, newest first",
        NATIVE_TAG,
        {200: Answer("A page of inbound messages", InboundList)},
        params=tuple(_query(name, text, kind) for name, kind, text in INBOUND_QUERY),
        errors=(*AUTH, "invalid_request"),
    ),
    ("GET", "/v1/opt-outs"): Operation(
        "List the numbers that opted out of the account's messages",
        NATIVE_TAG,
        {200: Answer("The account's opt-out list", OptOutList)},
        errors=AUTH,
    ),
    ("POST", "/v1/opt-outs"): Operation(
        "Add a number to the opt-out list (sends to it are refused)",
        NATIVE_TAG,
        {201: Answer("Added", OptOutRequest)},
        request=OptOutRequest,
        errors=(
            *AUTH,
            "invalid_request",
            "unknown_field",
            "request_too_large",
            "invalid_destination",
        ),
    ),
    ("DELETE", "/v1/opt-outs/{number}"): Operation(
        "Take a number off the opt-out list",
        NATIVE_TAG,
        {204: Answer("Removed")},
        errors=(*AUTH, "not_found", "invalid_destination"),
    ),
    ("GET", "/healthz"): Operation(
        "Whether the gateway is ready",
        OPERATIONS_TAG,
        {
            200: Answer("Ready", schema=HEALTH),
            503: Answer("Starting", schema=HEALTH),
        },
        security=(),
    ),
    ("GET", "/readyz"): Operation(
        "Whether this node takes work now (for a load balancer)",
        OPERATIONS_TAG,
        {
            200: Answer("Ready", schema=READINESS),
            503: Answer("Starting, draining or cut off from the database", schema=READINESS),
        },
        security=(),
    ),
    **{
        ("POST", f"/connectors/{kind}/{{connector_id}}/events"): _platform_webhook(name)
        for kind, name in (
            ("rcs", "An RCS platform's events (an RCS connector's webhook)"),
            ("voice", "A voice call provider's reports"),
            ("viber", "A Viber provider's reports"),
            ("telegram", "A Telegram code provider's reports"),
            ("bot", "A Telegram bot provider's reports"),
            ("social", "A social network provider's reports"),
        )
    },
    ("GET", "/metrics"): Operation(
        "Prometheus metrics",
        OPERATIONS_TAG,
        {200: Answer("Prometheus text format", schema={"type": "string"}, media="text/plain")},
        security=(),
    ),
    ("GET", "/openapi.json"): Operation(
        "This document",
        OPERATIONS_TAG,
        {200: Answer("OpenAPI 3.1", schema={"type": "object"})},
        security=(),
    ),
    ("GET", "/docs"): Operation(
        "The API reference (this document rendered)",
        OPERATIONS_TAG,
        {200: Answer("A web page", schema={"type": "string"}, media="text/html")},
        security=(),
    ),
    ("GET", "/docs/assets/{name}"): Operation(
        "The API reference's scripts and style sheet",
        OPERATIONS_TAG,
        {
            200: Answer("A file", schema={"type": "string"}, media="*/*"),
            404: Answer("No such file"),
        },
        security=(),
    ),
}

# descriptions of path parameters, by name (their presence comes from the routes)
PATH_PARAMS: Final[dict[str, str]] = {
    **MESSAGE_ID,
    "number": "+E.164, or national with the configured default country",
    "name": "A file name",
}
