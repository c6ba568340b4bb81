"""What `Store.write` takes: new messages and inbound messages, and updates of parts and messages;
new outbox items and their outcomes.

The records of the domain that the store keeps (`Message`, `InboundMessage`, `InboundSegment`,
`OptOut`, `OutboxItem`, `OutboxAttempt`) are changes as they are; the types here exist only to
be written. A `Message` is inserted with its parts and the first line of its history. An update
sets only the fields it gives (None leaves the stored value alone) and always adds a history
line. An `OutboxItem` written with the change that causes it is owed to the customer exactly
when that change committed (docs/outbox.md); an `OutboxAttempt` is written with the
`OutboxUpdate` that settles the attempt.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, get_args

from smsgate.domain.inbound import InboundMessage, InboundSegment, OptOut
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.domain.subscribers import Subscriber

__all__ = [
    "BalanceChange",
    "Change",
    "ChannelResult",
    "HistoryNote",
    "IdempotentResponse",
    "IdenticalRequest",
    "InboundClaim",
    "MessageReplaced",
    "MessageUpdate",
    "OutboxUpdate",
    "PartUpdate",
    "SegmentsTaken",
    "SubmittedPartsTaken",
    "checked",
]


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
class HistoryNote:
    """A line in a message's history that changes nothing (a channel's capability answer)."""

    message_id: str
    status: Status
    at: float
    detail: str
    part_seq: int | None = None


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """What a lookup channel found for a message (an HLR lookup's result)."""

    message_id: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MessageReplaced:
    """A message that has not reached a carrier, with a new text (and so new parts), schedule,
    validity or receipt request: its row is updated, its parts written anew, and a history
    line added."""

    message: Message  # as it is now, with its new parts
    at: float  # also becomes the message's updated_at
    detail: str = "replaced"
    recorded: Status | None = None  # the history line's status; None: the message's


@dataclass(frozen=True, slots=True)
class SegmentsTaken:
    """The stored parts of one concatenated MO message are done with: written with the
    message they became."""

    source: str
    destination: str
    reference: int
    total: int
    # how many stored parts must be taken, or the write is refused (SegmentsGoneError):
    # several nodes may assemble one message from the parts each stored, only one of them
    # writes it; None takes whatever is there
    expected: int | None = None


@dataclass(frozen=True, slots=True)
class SubmittedPartsTaken:
    """The stored parts of one message a customer submitted in several PDUs are done with:
    written with the message they became."""

    account_id: str
    source: str
    destination: str
    reference: int
    total: int


@dataclass(frozen=True, slots=True)
class InboundClaim:
    """An unclaimed inbound message given to the account that now owns its number."""

    id: str
    account_id: str


@dataclass(frozen=True, slots=True)
class OutboxUpdate:
    """The outcome of an attempt (or the release of a claimed item not attempted)."""

    id: str
    state: OutboxState
    at: float
    attempts: int
    next_attempt_at: float | None = None  # None keeps the stored time
    last_error: str | None = None  # None keeps the stored error


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """A prepaid balance goes down (a message's price reserved) or up (given back, topped up);
    refused with the whole write if it would take the balance below zero."""

    account_id: str
    delta: int  # millionths of the account's currency
    at: float


@dataclass(frozen=True, slots=True)
class IdempotentResponse:
    """The first response to a request made with an Idempotency-Key, written with the
    messages that request created; an expired record of the same key is replaced."""

    account_id: str
    key: str
    request_hash: str
    status_code: int
    body: bytes
    created_at: float
    expired_before: float  # an older record of the key may be replaced


@dataclass(frozen=True, slots=True)
class IdenticalRequest:
    """A request within its account's identical-request window, written with its message: the
    write is refused (IdenticalRequestError) while another node's copy of the same request is
    still within its window, as a taken client_ref is."""

    key: int  # a stable 64-bit hash of (account, source, destination, text)
    at: float
    expires_at: float


Change = (
    Message
    | PartUpdate
    | MessageUpdate
    | MessageReplaced
    | InboundMessage
    | OutboxItem
    | OutboxUpdate
    | OutboxAttempt
    | InboundSegment
    | SegmentsTaken
    | SubmittedPart
    | SubmittedPartsTaken
    | InboundClaim
    | OptOut
    | BalanceChange
    | IdempotentResponse
    | HistoryNote
    | Subscriber
    | ChannelResult
    | IdenticalRequest
)


def checked(changes: Sequence[Change]) -> list[Change]:
    """The changes as a list, refused in the caller's context if one cannot be written, so a bad
    change never reaches (and fails) a transaction shared with other callers."""
    result = list(changes)
    for change in result:
        if isinstance(change, Message | MessageReplaced):
            message = change if isinstance(change, Message) else change.message
            for part in message.parts:
                if part.message_id != message.id:
                    raise ValueError(
                        f"part {part.seq} of message {message.id} names message {part.message_id}"
                    )
        elif type(change) not in _CHANGE_TYPES and not isinstance(change, Change):
            raise TypeError(f"not a store change: {type(change).__name__}")
    return result


# every write passes `checked`: a set lookup is cheaper than isinstance over the whole union
_CHANGE_TYPES: Final = frozenset(get_args(Change))
