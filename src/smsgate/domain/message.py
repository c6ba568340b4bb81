"""A message as smsgate keeps it, and the parts (segments) it is sent as."""

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from smsgate.domain.status import Status


class Priority(IntEnum):
    """SMPP's priority_flag levels; higher goes first."""

    BULK = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3


@dataclass(slots=True)
class Part:
    """One segment, sent as one submit_sm."""

    message_id: str
    seq: int  # 1-based
    short_message: bytes
    esm_class: int = 0
    sar_ref: int | None = None
    sar_total: int | None = None
    sar_seq: int | None = None
    status: Status = Status.ACCEPTED
    upstream_id: str | None = None  # the carrier's message id from submit_sm_resp
    connector_id: str | None = None
    error_code: str | None = None
    error_detail: str | None = None
    attempts: int = 0
    submitted_at: float | None = None
    done_at: float | None = None


@dataclass(slots=True)
class Message:
    id: str
    account_id: str
    source: str  # as sent upstream: digits of an E.164 number, or an alphanumeric name
    source_ton: int
    source_npi: int
    destination: str  # digits of an E.164 number, without "+"
    text: str
    encoding: str  # smsgate.text.Encoding value
    data_coding: int
    segments: int
    created_at: float  # Unix seconds, UTC
    updated_at: float
    valid_until: float
    priority: Priority = Priority.NORMAL
    status: Status = Status.ACCEPTED
    client_ref: str | None = None
    callback_url: str | None = None
    scheduled_at: float | None = None
    carrier: str | None = None
    route_id: str | None = None
    registered_delivery: bool = True
    price: str | None = None  # a decimal string, fixed at acceptance
    price_unit: str | None = None
    error_code: str | None = None
    error_detail: str | None = None
    origin: str = "http"  # the interface it came by: "http" or "smpp" (where receipts go)
    tag: str | None = None  # the customer's bulk or campaign identifier
    comment: str | None = None  # the text after a "~~~" line: shown to the customer, never sent
    # SMPP receipts for "failure" or "success" only (registered_delivery 2, 3); None: both
    receipt_only: str | None = None
    # binary data only: the sender's own UDH elements (application ports, ...) without the
    # UDHL octet, repeated in every part before the concatenation IE
    udh: bytes | None = None
    # the channel it is on ("sms", "rcs", ...), the channels still to try after it, in order,
    # when it is not delivered there, and when its time on this channel ends (then it is
    # revoked and falls back; None: it stays until its validity ends)
    channel: str = "sms"
    fallback: tuple[str, ...] = ()
    channel_until: float | None = None
    # a rich channel's content (RCS: the RCSMessage object); `text` is then what an SMS
    # fallback sends, or the content's text for search and display
    content: dict[str, Any] | None = None
    # what a lookup channel found (an HLR lookup's imsi, mcc, mnc, network, ...)
    result: dict[str, Any] | None = None
    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One line of a message's status history."""

    message_id: str
    status: Status
    at: float
    part_seq: int | None = None
    detail: str = ""
    applied: bool = True  # False for a receipt that would have moved the status backwards


def recipient(message: Message) -> str:
    """Whom the message is for, as customers see it: `+` and the number, or an e-mail address."""
    return message.destination if "@" in message.destination else "+" + message.destination
