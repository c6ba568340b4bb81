"""Delivery receipts from carriers: matched to their parts and applied (the Gateway's receipt
half, mixed into it).

A receipt is matched by (connector, carrier message id), from memory first and from the store
for a part no longer in memory. One that overtakes its submit_sm_resp is held (`EarlyReceipt`)
until the resp names the id. A receipt never moves a part backwards: such a one is kept in the
history only.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.events import ReceiptInfo
from smsgate.domain.message import Message, Part
from smsgate.domain.status import FINAL, RECEIPT_STATUS, Status, can_transition
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.writer import ChangeWriter
from smsgate.smpp.constants import MessageState
from smsgate.smpp.receipt import normalise_message_id, receipt_id_candidates
from smsgate.store import Change, MessageUpdate, PartUpdate, Store

log = logging.getLogger(__name__)

EARLY_RECEIPT_TTL: Final = 120.0  # seconds a receipt waits for its submit_sm_resp


@dataclass(slots=True)
class EarlyReceipt:
    connector_id: str
    state: MessageState
    error: str
    at: float


class ReceiptMatching:
    """Receipt handling over the Gateway's state (declared here, set up by the Gateway)."""

    clock: Clock
    store: Store
    writer: ChangeWriter
    counters: Counters
    live: OrderedDict[str, Message]
    by_upstream: dict[tuple[str, str], tuple[str, int]]
    convert_receipt_ids: set[str]
    _early: dict[tuple[str, str], EarlyReceipt]

    # the Gateway's own, used here
    def _remember(self, message: Message) -> None:
        raise NotImplementedError

    def _message_changes(
        self, message: Message, now: float, code: str | None = None, detail: str = ""
    ) -> list[MessageUpdate]:
        raise NotImplementedError

    def _write(self, message: Message, changes: list[Change]) -> "asyncio.Future[None]":
        raise NotImplementedError

    def receipt(self, connector_id: str, info: ReceiptInfo) -> Awaitable[None]:
        """Apply a delivery receipt; done once it is persisted (the resp may go out then).

        A receipt for a part in memory (the usual case) is applied at once and what comes back
        is the write's future; only one for a part no longer in memory needs the store."""
        now = self.clock.time()
        upstream_id, state, error = info.upstream_id, info.state, info.error_code
        if not upstream_id or state is None:
            self.counters.receipts_unmatched += 1
            log.warning("%s: receipt without id or state: %r", connector_id, info.pdu)
            return _nothing()
        self.counters.receipts[state.name] = self.counters.receipts.get(state.name, 0) + 1
        found = self._find_live_part(connector_id, upstream_id)
        if found is None:
            return self._stored_receipt(connector_id, upstream_id, state, error, now)
        message, part = found
        return self._apply_receipt(message, part, state, error, now)

    async def _stored_receipt(
        self, connector_id: str, upstream_id: str, state: MessageState, error: str, now: float
    ) -> None:
        found = await self._find_part(connector_id, upstream_id)
        if found is None:
            # the resp may have come while the store was asked: look again, without awaiting
            found = self._find_live_part(connector_id, upstream_id)
        if found is None:
            # the receipt overtook its submit_sm_resp; hold it until the resp comes
            self._early[(connector_id, normalise_message_id(upstream_id))] = EarlyReceipt(
                connector_id, state, error, now
            )
            self._drop_stale_early(now)
            return
        message, part = found
        await self._apply_receipt(message, part, state, error, now)

    def _candidates(self, connector_id: str, upstream_id: str) -> tuple[str, ...]:
        """The forms a receipt's id is looked up under: the normalised id, and only for
        connectors configured so (carriers that answer in hex and receipt in decimal, or the
        other way round) its other-base readings, which could otherwise match another part."""
        if connector_id in self.convert_receipt_ids:
            return receipt_id_candidates(upstream_id)
        return (normalise_message_id(upstream_id),)

    def _find_live_part(self, connector_id: str, upstream_id: str) -> tuple[Message, Part] | None:
        for candidate in self._candidates(connector_id, upstream_id):
            key = self.by_upstream.get((connector_id, candidate))
            if key is not None:
                message = self.live.get(key[0])
                if message is not None:
                    return message, message.parts[key[1] - 1]
        return None

    async def _find_part(self, connector_id: str, upstream_id: str) -> tuple[Message, Part] | None:
        found = self._find_live_part(connector_id, upstream_id)
        if found is not None:
            return found
        for candidate in self._candidates(connector_id, upstream_id):
            stored = await self.store.find_part_by_upstream_id(candidate, connector_id)
            if stored is not None:
                message = self.live.get(stored[0]) or await self.store.get_message(stored[0])
                if message is not None:
                    self._remember(message)
                    return message, message.parts[stored[1] - 1]
        return None

    def _apply_receipt(
        self, message: Message, part: Part, state: MessageState, error: str, now: float
    ) -> "asyncio.Future[None]":
        status = RECEIPT_STATUS[state]
        detail = f"receipt {state.name}" + (f" err:{error}" if error else "")
        repeat = status is part.status
        if repeat or not can_transition(part.status, status):
            # a repeat, or a step backwards: kept in the history, not applied
            if not repeat:
                self.counters.receipts_backwards += 1
            return self.writer.add(
                [PartUpdate(message.id, part.seq, status, now, detail=detail, applied=False)]
            )
        part.status = status
        part.done_at = now if status in FINAL else None
        if status is not Status.DELIVERED and status in FINAL:
            part.error_code = "undeliverable" if status is Status.UNDELIVERED else status.value
            part.error_detail = f"network error {error}" if error else None
        changes: list[Change] = [
            PartUpdate(
                message.id,
                part.seq,
                status,
                now,
                error_code=part.error_code,
                error_detail=part.error_detail,
                done_at=part.done_at,
                detail=detail,
            )
        ]
        changes += self._message_changes(message, now)
        if message.status in FINAL:
            for p in message.parts:
                if p.upstream_id and p.connector_id:
                    self.by_upstream.pop((p.connector_id, p.upstream_id), None)
        return self._write(message, changes)

    def _drop_stale_early(self, now: float) -> None:
        if len(self._early) < 1000:
            return
        for key, early in list(self._early.items()):
            if now - early.at > EARLY_RECEIPT_TTL:
                del self._early[key]
                self.counters.receipts_unmatched += 1
                log.warning("receipt for unknown upstream id %s on %s", key[1], key[0])


async def _nothing() -> None:
    """An awaitable for a request that needs no write."""
