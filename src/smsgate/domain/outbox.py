"""What the gateway owes a customer and delivers later: status callbacks, receipts and MO
messages, retried until acknowledged or given up (docs/outbox.md)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class OutboxState(StrEnum):
    PENDING = "pending"  # owed: due at next_attempt_at (or claimed until then)
    DONE = "done"  # the customer has it
    ABANDONED = "abandoned"  # given up after the last retry or a refusal; the account sees it


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One thing owed to a customer: a status callback, a receipt or an MO message."""

    id: str  # time-ordered (smsgate.domain.ids)
    channel: str  # "http" (a URL) or "smpp" (the account's receiver bind)
    account_id: str
    subject_id: str  # the message id (status) or the inbound message id (MO)
    event: str  # the message status, or "inbound"
    payload: dict[str, Any]  # JSON-serialisable
    created_at: float
    next_attempt_at: float
    url: str | None = None  # where an "http" item goes, fixed when it is created
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    last_error: str | None = None
    updated_at: float | None = None  # None: created_at


class AttemptOutcome(StrEnum):
    """What one delivery attempt of an outbox item came to."""

    DELIVERED = "delivered"  # the customer has it
    RETRY = "retry"  # failed; tried again later
    DEAD = "dead"  # failed, and the item was given up (a dead letter)


@dataclass(frozen=True, slots=True)
class OutboxAttempt:
    """One delivery attempt of an outbox item, kept for the operator to see (docs/outbox.md);
    written with the item's settlement, so an attempt is recorded exactly when it counted."""

    outbox_id: str
    attempt: int  # the item's attempts once this one counted (1: the first; a replay restarts)
    at: float  # when it was settled
    outcome: AttemptOutcome
    code: int | None = None  # the HTTP status, or the deliver_sm_resp command_status
    detail: str | None = None  # why it failed (or what was done instead of sending)
    duration: float | None = None  # seconds from the request to its answer, when measured
