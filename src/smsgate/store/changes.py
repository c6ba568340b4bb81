"""What `Store.write` takes: new messages and inbound messages, and updates of parts and messages.

A `Message` (from the domain) is inserted with its parts and the first line of its history. An
update sets only the fields it gives (None leaves the stored value alone) and always adds a
history line.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from smsgate.domain.message import Message
from smsgate.domain.status import Status


@dataclass(frozen=True, slots=True)
class PartUpdate:
    message_id: str
    seq: int
    status: Status
    at: float
    upstream_id: str | None = None
    connector_id: str | None = None
    error_code: str | None = None
    error_detail: str | None = None
    attempts: int | None = None
    submitted_at: float | None = None
    done_at: float | None = None
    detail: str = ""
    # False records the status in the history only: a receipt that would move the part backwards
    applied: bool = True


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    message_id: str
    status: Status
    at: float  # also becomes the message's updated_at
    error_code: str | None = None
    error_detail: str | None = None
    carrier: str | None = None
    route_id: str | None = None
    detail: str = ""
    # False: no history line of its own, when the same change of the message's only part
    # already has one (a single-part message's status follows its part's)
    record: bool = True


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A mobile-originated message received from a carrier."""

    id: str
    connector_id: str
    source: str
    destination: str
    text: str | None  # None when the payload is not text (binary data_coding)
    data_coding: int
    payload: bytes
    received_at: float
    account_id: str | None = None  # None until a number-to-account mapping claims it
    segments: int = 1
    complete: bool = True  # False when some segments never arrived


Change = Message | PartUpdate | MessageUpdate | InboundMessage


def checked(changes: Sequence[Change]) -> list[Change]:
    """The changes as a list, refused in the caller's context if one cannot be written, so a bad
    change never reaches (and fails) a transaction shared with other callers."""
    result = list(changes)
    for change in result:
        if isinstance(change, Message):
            for part in change.parts:
                if part.message_id != change.id:
                    raise ValueError(
                        f"part {part.seq} of message {change.id} names message {part.message_id}"
                    )
        elif not isinstance(change, PartUpdate | MessageUpdate | InboundMessage):
            raise TypeError(f"not a store change: {type(change).__name__}")
    return result
