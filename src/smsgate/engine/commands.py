"""What the interfaces ask the engine to do, in the engine's own terms."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from smsgate.domain.message import Priority


@dataclass(slots=True)
class SendCommand:
    """Send one text message. Times are Unix seconds; validity is in seconds."""

    to: str
    text: str
    sender: str | None = None
    encoding: str | None = None  # smsgate.text.Encoding value; None chooses automatically
    priority: Priority = Priority.NORMAL
    client_ref: str | None = None
    callback_url: str | None = None
    scheduled_at: float | None = None
    validity: float | None = None
    registered_delivery: bool = True
    receipt_only: str | None = None  # SMPP receipts on "failure" or "success" only
    origin: str = "http"  # "smpp": final statuses go back as receipts when registered_delivery
    tag: str | None = None  # bulk or campaign identifier
    carrier: str | None = None  # the destination's carrier, when the sender names it
    max_price: Decimal | None = None  # a higher price fails the message (price_exceeded)
    # binary data only: the sender's own data_coding (a message class, 0xF4-0xF7), kept for
    # the carrier; None: the encoding's (4)
    data_coding: int | None = None
    udh: bytes | None = None  # binary data only: UDH elements to send with it (Message.udh)
    # the id the customer was already answered with (the first stored part of a message
    # submitted in several PDUs); None: a new one
    message_id: str | None = None
    # the channels to try, in order ("sms", "rcs"): the first, then each next one when it is
    # not delivered there (not capable, failed, or its time to live ran out)
    channels: tuple[str, ...] = ("sms",)
    content: dict[str, Any] | None = None  # RCS content (an RCSMessage object), for "rcs"
    channel_ttl: float | None = None  # seconds on a channel with another after it; None: default
    # another channel's own fields (an e-mail's "subject", a call's "voice", a bot's "bot"),
    # when the text does not carry them as SMSC.ru's prefixed lines
    fields: dict[str, str] | None = None


@dataclass(slots=True)
class ReplaceCommand:
    """Change a message that has not reached a carrier yet; None keeps what it has. Times are
    Unix seconds."""

    text: str | None = None  # re-encoded and split again (a "~~~" line starts a comment)
    encoding: str | None = None  # of the new text; None chooses automatically
    scheduled_at: float | None = None  # a time already past sends the message now
    valid_until: float | None = None  # None keeps the validity period, from the new start
    registered_delivery: bool | None = None
    receipt_only: str | None = None  # with registered_delivery: "failure", "success" or both
