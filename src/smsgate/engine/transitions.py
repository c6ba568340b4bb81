"""How a message changes state: the one sequence every outcome goes through.

A part changes (`PartUpdate`), the message's status is derived from its parts, and both go to
the store in one write together with what the change owes: a status callback or receipt for the
customer (outbox items) and a refund of a failed message's price. Once the write is committed
the status listeners hear of the new status and the outbox listeners of the new items.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Final

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message, Part
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import FINAL, Status, next_message_status
from smsgate.engine.balances import Balances
from smsgate.engine.billing import Billing
from smsgate.engine.live import LiveMessages
from smsgate.engine.notify import status_item
from smsgate.engine.writer import ChangeWriter
from smsgate.store import (
    Change,
    IntegrityError,
    MessageUpdate,
    PartUpdate,
    StoreClosedError,
    StoreFencedError,
)
from smsgate.store.changes import BalanceChange

StatusListener = Callable[[Message, Status], None]
OutboxListener = Callable[[OutboxItem], None]


log = logging.getLogger(__name__)

# a write of a state change that failed for the store's sake is tried again: 0.5 s, then
# twice as long each time up to 10 s, 12 times (about 90 s: a PostgreSQL restart or a short
# partition is ridden out)
WRITE_RETRIES: Final = 12
WRITE_RETRY_FIRST: Final = 0.5
WRITE_RETRY_MAX: Final = 10.0


class Transitions:
    def __init__(
        self,
        writer: ChangeWriter,
        live: LiveMessages,
        billing: Billing,
        on_status: list[StatusListener],
        on_outbox: list[OutboxListener],
    ) -> None:
        self.writer = writer
        self.live = live
        self.billing = billing
        self.on_status = on_status  # called with (message, new status) once it is committed
        self.on_outbox = on_outbox  # called with each outbox item once it is committed

    def commit(
        self,
        message: Message,
        updates: Sequence[PartUpdate],
        now: float,
        code: str | None = None,
        detail: str = "",
        extra: Sequence[Change] = (),
    ) -> "asyncio.Future[None]":
        """Apply part updates to the message in memory and write them with the message's
        own change (and `extra` changes); `code` and `detail` explain a final status other
        than delivered."""
        parts = message.parts
        for update in updates:
            _apply(parts[update.seq - 1], update)
        changes: list[Change] = [
            *updates,
            *self._message_changes(message, now, code, detail),
            *extra,
        ]
        return self._write(message, changes)

    def record(self, update: PartUpdate) -> "asyncio.Future[None]":
        """A history line only: a report that does not change the part (a repeat, a step
        backwards, a second id for a part sent again)."""
        return self.writer.add([update])

    def finish_unsent(
        self, message: Message, status: Status, code: str, detail: str, now: float
    ) -> "asyncio.Future[None]":
        """End every part not at a carrier yet (canceled, expired, rejected, ...)."""
        updates = [
            PartUpdate(
                message.id,
                part.seq,
                status,
                now,
                error_code=code,
                error_detail=detail or None,
                done_at=now,
            )
            for part in message.parts
            if part.status not in FINAL and part.status is not Status.SENT
        ]
        return self.commit(message, updates, now, code, detail)

    def _message_changes(
        self, message: Message, now: float, code: str | None, detail: str
    ) -> list[MessageUpdate]:
        status = next_message_status(message.status, (p.status for p in message.parts))
        if status is None:
            return []
        message.status = status
        message.updated_at = now
        if status in FINAL and status is not Status.DELIVERED:
            worst = [p for p in message.parts if p.error_code]
            if worst and code is None:
                code, detail = worst[-1].error_code, worst[-1].error_detail or ""
            message.error_code, message.error_detail = code, detail or None
        return [
            MessageUpdate(
                message.id,
                status,
                now,
                error_code=message.error_code if status in FINAL else None,
                error_detail=message.error_detail if status in FINAL else None,
                # a single part's history line already records this transition
                record=len(message.parts) > 1,
            )
        ]

    def _write(self, message: Message, changes: list[Change]) -> "asyncio.Future[None]":
        """Queue changes for the store, with what the customer is owed for a new status;
        listeners hear of the new status once it is committed."""
        updates = [c for c in changes if isinstance(c, MessageUpdate)]
        owed = [item for u in updates if (item := status_item(message, u.status, u.at)) is not None]
        refund = None
        if updates and message.price is not None:
            refund = self.billing.release(message, updates[-1].status, updates[-1].at)
            if refund is not None:
                changes = [*changes, refund]
        written = [*changes, *owed] if owed else changes
        future = self.writer.add(written)
        self.live.writing(message.id)
        status = updates[-1].status if updates and (self.on_status or owed) else None
        # one callback per write: each is a separate turn of the event loop's queue
        future.add_done_callback(
            partial(self._committed, message, status, owed, refund, changes=written)
        )
        return future

    def _committed(
        self,
        message: Message,
        status: Status | None,
        owed: list[OutboxItem],
        refund: BalanceChange | None,
        done: "asyncio.Future[None]",
        changes: Sequence[Change] = (),
        attempt: int = 0,
    ) -> None:
        error = None if done.cancelled() else done.exception()
        if changes and _retryable(error) and attempt < WRITE_RETRIES:
            # memory already holds these changes and the channel reported them once: written
            # again until the store takes them, or a refused report sent again by the carrier
            # would be taken for a repeat and the store would never hear of it
            delay = min(WRITE_RETRY_MAX, WRITE_RETRY_FIRST * 2**attempt)
            if attempt == 0:
                log.warning("writing %s failed (%r); retrying", message.id, error)
            asyncio.get_running_loop().call_later(
                delay, self._rewrite, message, status, owed, refund, changes, attempt + 1
            )
            return  # still uncommitted: the message stays in memory meanwhile
        if error is not None and attempt:
            log.error("writing %s failed %d times (%r); given up", message.id, attempt + 1, error)
        self.live.written(message.id)
        if refund is not None:
            settle_refund(self.billing.balances, refund, done)
        if not done.cancelled() and error is None:
            if status is not None:
                for listener in self.on_status:
                    listener(message, status)
            self.announce(owed)

    def _rewrite(
        self,
        message: Message,
        status: Status | None,
        owed: list[OutboxItem],
        refund: BalanceChange | None,
        changes: Sequence[Change],
        attempt: int,
    ) -> None:
        future = self.writer.add(changes)
        future.add_done_callback(
            partial(
                self._committed, message, status, owed, refund, changes=changes, attempt=attempt
            )
        )

    def write(
        self,
        message: Message,
        changes: Sequence[Change],
        owed: list[OutboxItem],
        balance: BalanceChange | None = None,
    ) -> "asyncio.Future[None]":
        """Changes of the message other than its parts' statuses (a fallback's rewrite), with
        what they owe the customer and a change of the balance: settled and announced once
        committed, as a commit's are."""
        extra: list[Change] = [balance] if balance is not None else []
        future = self.writer.add([*changes, *extra, *owed])
        self.live.writing(message.id)
        future.add_done_callback(partial(self._committed, message, None, owed, balance))
        return future

    def announce(self, items: list[OutboxItem]) -> None:
        for item in items:
            for listener in self.on_outbox:
                listener(item)


def _retryable(error: BaseException | None) -> bool:
    """A write that failed for the store's sake (unreachable, restarting, busy, full), not for
    its own changes' (a constraint), nor because the store is closing, nor because this node
    is fenced (other nodes may have taken its messages: its copy must not land)."""
    return error is not None and not isinstance(
        error, IntegrityError | StoreClosedError | StoreFencedError | GatewayError
    )


def settle_refund(balances: Balances, refund: BalanceChange, done: "asyncio.Future[None]") -> None:
    committed = not done.cancelled() and done.exception() is None
    balances.settled(refund.account_id, refund.delta, committed)


def _apply(part: Part, update: PartUpdate) -> None:
    """The update on the part in memory; fields it leaves None stay as they are."""
    part.status = update.status
    if update.upstream_id is not None:
        part.upstream_id = update.upstream_id
    if update.connector_id is not None:
        part.connector_id = update.connector_id
    if update.error_code is not None:
        part.error_code = update.error_code
    if update.error_detail is not None:
        part.error_detail = update.error_detail
    if update.attempts is not None:
        part.attempts = update.attempts
    if update.submitted_at is not None:
        part.submitted_at = update.submitted_at
    if update.done_at is not None:
        part.done_at = update.done_at
