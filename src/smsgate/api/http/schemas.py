"""Request and response shapes of the native API v1 (the OpenAPI document is built from them)."""

import math
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smsgate.domain.message import Message, Priority, StatusChange, recipient
from smsgate.domain.status import Status

PriorityName = Literal["bulk", "normal", "high", "urgent"]
EncodingName = Literal["gsm7", "ucs2", "latin1", "ia5", "binary"]
ChannelName = Literal[
    "sms", "rcs", "email", "voice", "viber", "social", "telegram", "bot", "hlr", "ping"
]


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: str = Field(description="Destination: +E.164, or national form for the default country")
    sender: str | None = Field(
        None, alias="from", description="Sender: +E.164, a short code or an alphanumeric name"
    )
    text: str = Field(
        "",
        description="Message text; split into segments as needed. Text after a line '~~~'"
        " is a comment: stored and shown back, never sent nor counted. Required for SMS;"
        " with RCS content it is what an SMS fallback sends (empty: the content's text)",
    )
    channel: ChannelName | list[ChannelName] = Field(
        "sms",
        description="The channel, or the channels to try in order (['rcs', 'sms']: RCS, and"
        " SMS when the recipient cannot receive RCS, or RCS does not deliver it within"
        " channel_ttl: it is then revoked first, so the handset never gets both). email goes"
        " to an address in `to`; telegram sends `text` as a 4 to 8 digit code; hlr looks the"
        " number up; ping is a silent SMS (docs/channels.md). A text with an SMSC.ru prefix"
        " (__VIBER__: ...) asks for its channel too",
    )
    subject: str | None = Field(None, max_length=998, description="email: the subject")
    voice: str | None = Field(None, description="voice: m, m2, m3, w, w2, w3 or w4")
    bot: str | None = Field(None, description="bot: the Telegram bot, as @name")
    rcs: dict[str, Any] | None = Field(
        None,
        description="The RCS content: an RCSMessage object (textMessage, fileMessage,"
        " geolocationPushMessage, richcardMessage with a card or a carousel, suggestions)",
    )
    channel_ttl: int | None = Field(
        None, ge=1, description="Seconds on a channel with another after it (default 600)"
    )
    encoding: EncodingName | None = Field(None, description="Omit to choose automatically")
    priority: PriorityName = "normal"
    client_ref: str | None = Field(None, max_length=200, description="Your own reference")
    callback_url: str | None = Field(None, max_length=2000)
    scheduled_at: datetime | None = Field(None, description="ISO 8601 time to send at")
    validity: int | None = Field(None, ge=1, description="Seconds the message stays valid")
    tag: str | None = Field(
        None, max_length=100, description="Campaign or bulk identifier: list, count, cancel by it"
    )
    max_price: Decimal | None = Field(
        None, ge=0, description="A message priced higher fails with price_exceeded"
    )


class SendBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[SendMessage] = Field(min_length=1, max_length=1000)


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PartView(BaseModel):
    seq: int
    status: Status
    upstream_id: str | None
    connector: str | None
    attempts: int
    submitted_at: datetime | None
    done_at: datetime | None
    error_code: str | None


class HistoryView(BaseModel):
    status: Status
    at: datetime
    part: int | None
    detail: str
    applied: bool


class MessageView(BaseModel):
    id: str
    status: Status
    to: str
    sender: str = Field(serialization_alias="from")
    text: str
    comment: str | None = Field(None, description="The text after a '~~~' line, not sent")
    encoding: str
    udh: str | None = Field(
        None, description="Binary messages: the sender's own user data header elements (hex)"
    )
    segments: int
    priority: PriorityName
    client_ref: str | None
    tag: str | None
    callback_url: str | None
    carrier: str | None
    price: str | None
    price_unit: str | None
    scheduled_at: datetime | None
    valid_until: datetime
    created_at: datetime
    updated_at: datetime
    error_code: str | None
    error_detail: str | None
    channel: ChannelName = Field(description="The channel it goes (or went) by")
    fallback: list[ChannelName] = Field(description="The channels still to try after it")
    rcs: dict[str, Any] | None = Field(None, description="Its RCS content, if it has one")
    subject: str | None = Field(None, description="An e-mail's subject")
    voice: str | None = Field(None, description="A call's voice")
    bot: str | None = Field(None, description="A Telegram bot's @name")
    result: dict[str, Any] | None = Field(
        None, description="What a lookup found (an HLR lookup's imsi, mcc, mnc, network, ...)"
    )
    parts: list[PartView] | None = None
    history: list[HistoryView] | None = None


class MessageList(BaseModel):
    messages: list[MessageView]
    next_cursor: str | None


class BatchItem(BaseModel):
    index: int
    message: MessageView | None = None
    error: ErrorBody | None = None


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItem]


class MessageCounts(BaseModel):
    total: int
    by_status: dict[Status, int]


class CampaignCanceled(BaseModel):
    tag: str
    canceled: int
    not_cancelable: int = Field(description="Messages already at a carrier")


class BalanceView(BaseModel):
    prepaid: bool
    balance: str | None = Field(description="Decimal amount; null for a postpaid account")
    currency: str
    updated_at: datetime | None = None


PRIORITY_BY_NAME: dict[str, Priority] = {p.name.lower(): p for p in Priority}
PRIORITY_NAME: dict[int, str] = {p.value: p.name.lower() for p in Priority}


def when(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def message_view(
    message: Message, *, details: bool = False, history: list[StatusChange] | None = None
) -> dict[str, object]:
    """The JSON-ready dict of a message (built by hand: this runs on every request)."""
    view: dict[str, object] = {
        "id": message.id,
        "status": message.status.value,
        "to": recipient(message),
        "from": message.source,
        "text": message.text,
        "comment": message.comment,
        "encoding": message.encoding,
        "segments": message.segments,
        "priority": PRIORITY_NAME[message.priority],
        "client_ref": message.client_ref,
        "tag": message.tag,
        "callback_url": message.callback_url,
        "carrier": message.carrier,
        "price": message.price,
        "price_unit": message.price_unit,
        "scheduled_at": iso_time(message.scheduled_at),
        "valid_until": iso_time(message.valid_until),
        "created_at": iso_time(message.created_at),
        "updated_at": iso_time(message.updated_at),
        "error_code": message.error_code,
        "error_detail": message.error_detail,
        "channel": message.channel,
        "fallback": list(message.fallback),
    }
    content = message.content
    if content is not None:
        if "RCSMessage" in content:
            view["rcs"] = content["RCSMessage"]
        for name in ("subject", "voice", "bot"):  # another channel's own fields
            if name in content:
                view[name] = content[name]
    if message.result is not None:
        view["result"] = message.result
    if message.udh:
        view["udh"] = message.udh.hex()
    if details:
        view["parts"] = [
            {
                "seq": p.seq,
                "status": p.status.value,
                "upstream_id": p.upstream_id,
                "connector": p.connector_id,
                "attempts": p.attempts,
                "submitted_at": iso_time(p.submitted_at),
                "done_at": iso_time(p.done_at),
                "error_code": p.error_code,
            }
            for p in message.parts
        ]
    if history is not None:
        view["history"] = [
            {
                "status": h.status.value,
                "at": iso_time(h.at),
                "part": h.part_seq,
                "detail": h.detail,
                "applied": h.applied,
            }
            for h in history
        ]
    return view


def iso_time(seconds: float | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as datetime.isoformat gives it, several times faster:
    a response carries four of them per message, and most share their second."""
    if seconds is None:
        return None
    fraction, whole_float = math.modf(seconds)  # rounded as datetime.fromtimestamp does
    whole, micros = int(whole_float), round(fraction * 1_000_000)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    prefix = _SECOND_PREFIX.get(whole)
    if prefix is None:
        if len(_SECOND_PREFIX) >= 4096:
            _SECOND_PREFIX.clear()
        prefix = _SECOND_PREFIX[whole] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{prefix}.{micros // 1000:03d}Z"


_SECOND_PREFIX: dict[int, str] = {}
