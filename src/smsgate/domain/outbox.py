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
