"""Message and part statuses, the transitions between them, and a message's status from its parts.

A status only moves forward. A receipt that would move a part backwards (a late ENROUTE after
DELIVRD) is recorded in the history but not applied: `transition` says so. The one exception is
a delivery the channel itself overturns (`can_overturn`): an e-mail is delivered once the relay
took it, and a bounce coming later makes it undelivered.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from smsgate.smpp.constants import MessageState


class Status(StrEnum):
    ACCEPTED = "accepted"  # persisted, not yet queued
    SCHEDULED = "scheduled"  # waiting for its scheduled time
    QUEUED = "queued"  # waiting for a connector
    SENDING = "sending"  # submit_sm in flight
    SENT = "sent"  # the carrier accepted it (has an upstream id)
    DELIVERED = "delivered"
    DISPLAYED = "displayed"  # delivered and read (a rich channel's read report)
    UNDELIVERED = "undelivered"  # the carrier could not deliver it
    FAILED = "failed"  # smsgate or the carrier refused it before delivery was attempted
    EXPIRED = "expired"  # validity ran out
    CANCELED = "canceled"
    REJECTED = "rejected"  # refused at acceptance (no route, opted out, ...)
    REVOKED = "revoked"  # taken back from a rich channel before it was delivered
    # history and callbacks only: the message left its channel for the next one it names
    FELL_BACK = "fell_back"


FINAL: Final = frozenset(
    {
        Status.DELIVERED,
        Status.DISPLAYED,
        Status.REVOKED,
        Status.UNDELIVERED,
        Status.FAILED,
        Status.EXPIRED,
        Status.CANCELED,
        Status.REJECTED,
    }
)

_NEXT: Final[dict[Status, frozenset[Status]]] = {
    Status.ACCEPTED: frozenset(
        {Status.SCHEDULED, Status.QUEUED, Status.REJECTED, Status.FAILED, Status.CANCELED}
    ),
    Status.SCHEDULED: frozenset({Status.QUEUED, Status.CANCELED, Status.EXPIRED, Status.FAILED}),
    Status.QUEUED: frozenset({Status.SENDING, Status.CANCELED, Status.EXPIRED, Status.FAILED}),
    # back to queued: the link was lost or the carrier throttled; the part is retried
    Status.SENDING: frozenset({Status.SENT, Status.QUEUED, Status.FAILED, Status.EXPIRED}),
    Status.SENT: frozenset(
        {
            Status.DELIVERED,
            Status.DISPLAYED,  # a read report that overtook the delivery's
            Status.UNDELIVERED,
            Status.EXPIRED,
            Status.FAILED,
            Status.CANCELED,
            Status.REVOKED,
        }
    ),
    # the one step past a final status: a delivered message that was read
    Status.DELIVERED: frozenset({Status.DISPLAYED}),
}


def can_transition(current: Status, new: Status) -> bool:
    return new in _NEXT.get(current, frozenset())


def can_overturn(current: Status, new: Status) -> bool:
    """Whether a report that may overturn a delivery (an e-mail's bounce) moves a part from
    `current` to `new`: forwards as any report, or from delivered to undelivered."""
    return can_transition(current, new) or (
        current is Status.DELIVERED and new is Status.UNDELIVERED
    )


def is_final(status: Status) -> bool:
    return status in FINAL


# How bad a final outcome is, for a multi-part message whose parts ended differently.
_SEVERITY: Final = {
    Status.DISPLAYED: 0,
    Status.DELIVERED: 0,
    Status.CANCELED: 1,
    Status.REVOKED: 1,
    Status.EXPIRED: 2,
    Status.UNDELIVERED: 3,
    Status.FAILED: 4,
    Status.REJECTED: 5,
}
# Progress of a part that is not final yet; a message is as far along as its slowest part.
_PROGRESS: Final = {
    Status.ACCEPTED: 0,
    Status.SCHEDULED: 1,
    Status.QUEUED: 2,
    Status.SENDING: 3,
    Status.SENT: 4,
}


def message_status(parts: Iterable[Status]) -> Status:
    """A message's status from its parts': delivered when all are, the worst final outcome when
    all are final, else the least advanced status of the parts still on their way."""
    statuses = list(parts)
    if len(statuses) == 1:  # most messages: the part's own status
        return statuses[0]
    if not statuses:
        raise ValueError("a message has at least one part")
    pending = [s for s in statuses if s not in FINAL]
    if pending:
        return min(pending, key=_PROGRESS.__getitem__)
    return max(statuses, key=_SEVERITY.__getitem__)


# How far along a message is, as the store and the customer see it: `sending` is never written
# (a restart sends again what was in flight), so a message on its way stays `queued` until sent.
_STAGE: Final = {
    Status.ACCEPTED: 0,
    Status.SCHEDULED: 1,
    Status.QUEUED: 2,
    Status.SENDING: 2,
    Status.SENT: 3,
    **{status: 4 for status in FINAL},
    Status.DISPLAYED: 5,  # read, after delivered
}


def next_message_status(current: Status, parts: Iterable[Status]) -> Status | None:
    """The status a message moves to when its parts are at `parts`, or None when it stays
    where it is. A message's status never goes backwards nor repeats: part 1 sent while part 2
    is still in flight, or a part queued again after a lost link, leave it as it was (its
    history and its callbacks name each status once, in order). `current` is the status in
    memory (`sending` while parts are in flight, which the store knows as `queued`)."""
    status = message_status(parts)
    if status is Status.SENDING:
        status = Status.QUEUED
    if current is Status.DELIVERED and status is Status.UNDELIVERED:
        return status  # a part's delivery was overturned (can_overturn): an e-mail's bounce
    if _STAGE[status] <= _STAGE[current] or (current in FINAL and current is not Status.DELIVERED):
        return None
    return status


# What a receipt's message_state means for a part.
RECEIPT_STATUS: Final = {
    MessageState.SCHEDULED: Status.SENT,
    MessageState.ENROUTE: Status.SENT,
    MessageState.ACCEPTED: Status.SENT,
    MessageState.DELIVERED: Status.DELIVERED,
    MessageState.EXPIRED: Status.EXPIRED,
    MessageState.DELETED: Status.CANCELED,
    MessageState.UNDELIVERABLE: Status.UNDELIVERED,
    MessageState.UNKNOWN: Status.UNDELIVERED,
    MessageState.REJECTED: Status.FAILED,
    MessageState.SKIPPED: Status.FAILED,
}
