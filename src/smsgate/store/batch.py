"""Group commit: the writes queued by many callers, and what one transaction does with them.

Updates of the same part (or message) within one batch are folded into one row update, later
fields winning, so that a set-based update (`UPDATE ... FROM unnest`) never meets the same row
twice; every update still gets its own history line, in the order the callers wrote them.
"""

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from smsgate.domain.inbound import InboundMessage, InboundSegment, OptOut
from smsgate.domain.message import Message
from smsgate.domain.outbox import OutboxAttempt, OutboxItem
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.domain.subscribers import Subscriber
from smsgate.store.changes import (
    BalanceChange,
    Change,
    ChannelResult,
    HistoryNote,
    IdempotentResponse,
    IdenticalRequest,
    InboundClaim,
    MessageReplaced,
    MessageUpdate,
    OutboxUpdate,
    PartUpdate,
    SegmentsTaken,
    SubmittedPartsTaken,
)
from smsgate.store.errors import IdenticalRequestError, IntegrityError, SegmentsGoneError


@dataclass(slots=True)
class PendingWrite:
    """One `write` call waiting for the transaction that will carry it."""

    changes: list[Change]
    future: asyncio.Future[None]


def take_batch(queue: deque[Any], max_changes: int) -> list[PendingWrite]:
    """Take every write queued at the head of `queue`, up to `max_changes` changes (always at
    least one write, however large). Stops at anything that is not a PendingWrite."""
    batch: list[PendingWrite] = []
    total = 0
    while queue and isinstance(queue[0], PendingWrite):
        size = len(queue[0].changes)
        if batch and total + size > max_changes:
            break
        batch.append(queue.popleft())
        total += size
    return batch


HistoryRow = tuple[str, int | None, str, float, str, bool]


@dataclass(slots=True)
class WritePlan:
    """The statements one transaction runs, in this order: inserts, replacements (a message's
    row and parts rewritten), updates, then history."""

    messages: list[Message] = field(default_factory=list)
    replaced: list[MessageReplaced] = field(default_factory=list)  # the last one per message
    inbound: list[InboundMessage] = field(default_factory=list)
    part_updates: list[PartUpdate] = field(default_factory=list)  # applied ones, one per part
    message_updates: list[MessageUpdate] = field(default_factory=list)  # one per message
    history: list[HistoryRow] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    outbox_updates: list[OutboxUpdate] = field(default_factory=list)  # the last one per item
    outbox_attempts: list[OutboxAttempt] = field(default_factory=list)  # every one, in order
    segments: list[InboundSegment] = field(default_factory=list)
    segments_taken: list[SegmentsTaken] = field(default_factory=list)  # after the inserts
    submitted: list[SubmittedPart] = field(default_factory=list)
    submitted_taken: list[SubmittedPartsTaken] = field(default_factory=list)  # after inserts
    inbound_claims: list[InboundClaim] = field(default_factory=list)
    opt_outs: list[OptOut] = field(default_factory=list)  # the last one per account and number
    balances: dict[str, tuple[int, float]] = field(default_factory=dict)  # (sum, last at)
    idempotent: list[IdempotentResponse] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    results: list[ChannelResult] = field(default_factory=list)
    identical: list[IdenticalRequest] = field(default_factory=list)

    @property
    def parts_count(self) -> int:
        return sum(len(m.parts) for m in self.messages)


def _merge_part(old: PartUpdate, new: PartUpdate) -> PartUpdate:
    return replace(
        new,
        upstream_id=new.upstream_id if new.upstream_id is not None else old.upstream_id,
        connector_id=new.connector_id if new.connector_id is not None else old.connector_id,
        error_code=new.error_code if new.error_code is not None else old.error_code,
        error_detail=new.error_detail if new.error_detail is not None else old.error_detail,
        attempts=new.attempts if new.attempts is not None else old.attempts,
        submitted_at=new.submitted_at if new.submitted_at is not None else old.submitted_at,
        done_at=new.done_at if new.done_at is not None else old.done_at,
    )


def _merge_message(old: MessageUpdate, new: MessageUpdate) -> MessageUpdate:
    return replace(
        new,
        error_code=new.error_code if new.error_code is not None else old.error_code,
        error_detail=new.error_detail if new.error_detail is not None else old.error_detail,
        carrier=new.carrier if new.carrier is not None else old.carrier,
        route_id=new.route_id if new.route_id is not None else old.route_id,
    )


def plan_writes(writes: Iterable[Sequence[Change]]) -> WritePlan:
    plan = WritePlan()
    parts: dict[tuple[str, int], PartUpdate] = {}
    messages: dict[str, MessageUpdate] = {}
    history = plan.history
    outbox_updates: dict[str, OutboxUpdate] = {}
    opt_outs: dict[tuple[str, str], OptOut] = {}
    replaced: dict[str, MessageReplaced] = {}
    for changes in writes:
        for change in changes:
            if isinstance(change, PartUpdate):
                key = (change.message_id, change.seq)
                if change.applied:
                    old = parts.get(key)
                    parts[key] = change if old is None else _merge_part(old, change)
                history.append(
                    (
                        change.message_id,
                        change.seq,
                        change.status.value,
                        change.at,
                        change.detail,
                        change.applied,
                    )
                )
            elif isinstance(change, MessageUpdate):
                previous = messages.get(change.message_id)
                messages[change.message_id] = (
                    change if previous is None else _merge_message(previous, change)
                )
                if change.record:
                    history.append(
                        (
                            change.message_id,
                            None,
                            change.status.value,
                            change.at,
                            change.detail,
                            True,
                        )
                    )
            elif isinstance(change, Message):
                plan.messages.append(change)
                history.append((change.id, None, change.status.value, change.created_at, "", True))
            elif isinstance(change, MessageReplaced):
                message = change.message
                replaced[message.id] = change
                status = change.recorded or message.status
                history.append((message.id, None, status.value, change.at, change.detail, True))
            elif isinstance(change, HistoryNote):
                history.append(
                    (
                        change.message_id,
                        change.part_seq,
                        change.status.value,
                        change.at,
                        change.detail,
                        True,
                    )
                )
            elif isinstance(change, Subscriber):
                plan.subscribers.append(change)
            elif isinstance(change, ChannelResult):
                plan.results.append(change)
            elif isinstance(change, OutboxItem):
                plan.outbox.append(change)
            elif isinstance(change, OutboxUpdate):
                outbox_updates[change.id] = change
            elif isinstance(change, OutboxAttempt):
                plan.outbox_attempts.append(change)
            elif isinstance(change, InboundSegment):
                plan.segments.append(change)
            elif isinstance(change, SegmentsTaken):
                plan.segments_taken.append(change)
            elif isinstance(change, SubmittedPart):
                plan.submitted.append(change)
            elif isinstance(change, SubmittedPartsTaken):
                plan.submitted_taken.append(change)
            elif isinstance(change, InboundClaim):
                plan.inbound_claims.append(change)
            elif isinstance(change, OptOut):
                opt_outs[(change.account_id, change.number)] = change
            elif isinstance(change, BalanceChange):
                total, _ = plan.balances.get(change.account_id, (0, 0.0))
                plan.balances[change.account_id] = (total + change.delta, change.at)
            elif isinstance(change, IdempotentResponse):
                plan.idempotent.append(change)
            elif isinstance(change, IdenticalRequest):
                plan.identical.append(change)
            else:
                plan.inbound.append(change)
    plan.replaced = list(replaced.values())
    plan.outbox_updates = list(outbox_updates.values())
    plan.opt_outs = list(opt_outs.values())
    plan.part_updates = list(parts.values())
    plan.message_updates = list(messages.values())
    return plan


def check_identical(expected: int, written: int) -> None:
    """Refuse a transaction in which a request found its copy still within its window."""
    if written < expected:
        raise IdenticalRequestError(
            f"{expected - written} of {expected} requests were accepted within their window"
        )


def check_taken(taken: SegmentsTaken, deleted: int) -> None:
    """Refuse a transaction whose MO message another node made from the same stored parts."""
    if taken.expected is not None and deleted != taken.expected:
        raise SegmentsGoneError(
            f"{deleted} of {taken.expected} parts of MO {taken.reference} from {taken.source}"
            " were still stored"
        )


def check_found(kind: str, expected: int, updated: int) -> None:
    """Refuse a transaction whose updates missed rows: each update names one existing row (they
    are folded per row), so a shortfall means a change for a part or message that is not there."""
    if updated < expected:
        raise IntegrityError(f"{expected - updated} of {expected} {kind} updates found no {kind}")
