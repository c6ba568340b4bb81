"""Delivery reports from channels: matched to their parts and applied.

A report is matched by (connector, the channel's id for the part), from memory first and from
the store for a part no longer in memory. One that overtakes the part's acceptance is held
(`EarlyReceipt`) until the acceptance names the id. A report never moves a part backwards: such
a one is kept in the history only, except a channel's report that overturns the delivery it
reported itself (an e-mail's bounce: `DeliveryReport.overturns_delivery`).
"""

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Final

from smsgate.domain.message import Message, Part
from smsgate.domain.status import FINAL, Status, can_overturn, can_transition
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.fallback import Fallbacks
from smsgate.engine.live import LiveMessages, awaits_read
from smsgate.engine.ports import DeliveryReport
from smsgate.engine.transitions import Transitions
from smsgate.store import Change, PartUpdate, Store
from smsgate.store.changes import ChannelResult

log = logging.getLogger(__name__)

# outcomes after which a message with another channel to try falls back to it
_NOT_DELIVERED: Final = frozenset(
    {Status.UNDELIVERED, Status.FAILED, Status.EXPIRED, Status.REVOKED}
)
EARLY_RECEIPT_TTL: Final = 120.0  # seconds a report waits for its part's acceptance
_EARLY_LIMIT: Final = 1000  # held reports before the stale ones are dropped


@dataclass(frozen=True, slots=True)
class EarlyReceipt:
    """A report that came before its part's acceptance, and when."""

    report: DeliveryReport
    at: float


class Receipts:
    def __init__(
        self,
        store: Store,
        live: LiveMessages,
        transitions: Transitions,
        fallbacks: Fallbacks,
        counters: Counters,
        clock: Clock,
    ) -> None:
        self.store = store
        self.live = live
        self.transitions = transitions
        self.fallbacks = fallbacks
        self.counters = counters
        self.clock = clock
        self._early: dict[tuple[str, str], EarlyReceipt] = {}

    def receipt(self, connector_id: str, report: DeliveryReport) -> Awaitable[None]:
        """Apply a delivery report; done once it is persisted (the channel may acknowledge it
        then). A report for a part in memory (the usual case) is applied at once and what
        comes back is the write's future; only one for a part no longer in memory needs the
        store."""
        now = self.clock.time()
        if not report.carrier_ids or report.status is None:
            self.counters.receipts_unmatched += 1
            log.warning("%s: receipt without id or state: %r", connector_id, report)
            return _nothing()
        receipts = self.counters.receipts
        receipts[report.label] = receipts.get(report.label, 0) + 1
        found = self.live.part(connector_id, report.carrier_ids)
        if found is None:
            return self._stored_receipt(connector_id, report, now)
        message, part = found
        return self.apply(message, part, report, now)

    def take_early(self, connector_id: str, carrier_id: str) -> EarlyReceipt | None:
        """The report held for a part that was just accepted under `carrier_id`, if any."""
        return self._early.pop((connector_id, carrier_id), None)

    async def _stored_receipt(self, connector_id: str, report: DeliveryReport, now: float) -> None:
        found = await self._find_part(connector_id, report.carrier_ids)
        if found is None:
            # the acceptance may have come while the store was asked: look again, not awaiting
            found = self.live.part(connector_id, report.carrier_ids)
        if found is None:
            # the report overtook its part's acceptance; hold it until that comes
            self._early[(connector_id, report.carrier_ids[0])] = EarlyReceipt(report, now)
            self._drop_stale_early(now)
            return
        message, part = found
        await self.apply(message, part, report, now)

    async def _find_part(
        self, connector_id: str, carrier_ids: tuple[str, ...]
    ) -> tuple[Message, Part] | None:
        found = self.live.part(connector_id, carrier_ids)
        if found is not None:
            return found
        for candidate in carrier_ids:
            stored = await self.store.find_part_by_upstream_id(candidate, connector_id)
            if stored is not None:
                message = self.live.get(stored[0]) or await self.store.get_message(stored[0])
                if message is not None:
                    self.live.remember(message)
                    return message, message.parts[stored[1] - 1]
        return None

    def apply(
        self, message: Message, part: Part, report: DeliveryReport, now: float
    ) -> "asyncio.Future[None]":
        """Apply a report with a status to a part."""
        status, label, error, result = report.status, report.label, report.error, report.result
        if status is None:
            raise ValueError(f"a report without a status is not applied: {report!r}")
        detail = f"receipt {label}" + (f" err:{error}" if error else "")
        repeat = status is part.status
        allowed = can_overturn if report.overturns_delivery else can_transition
        if repeat or not allowed(part.status, status):
            # a repeat, or a step backwards: kept in the history, not applied
            if not repeat:
                self.counters.receipts_backwards += 1
            return self.transitions.record(
                PartUpdate(message.id, part.seq, status, now, detail=detail, applied=False)
            )
        error_code = error_detail = None
        if status is not Status.DELIVERED and status in FINAL:
            error_code = "undeliverable" if status is Status.UNDELIVERED else status.value
            error_detail = report.detail or (f"network error {error}" if error else None)
        update = PartUpdate(
            message.id,
            part.seq,
            status,
            now,
            error_code=error_code or part.error_code,
            error_detail=error_detail or (part.error_detail if error_code is None else None),
            done_at=now if status in FINAL else None,
            detail=detail,
        )
        if message.fallback and status in _NOT_DELIVERED:
            return self.fallbacks.fall_back(message, f"receipt {label}", update)
        extra: list[Change] = []
        if result is not None:  # a lookup's answer: given with the status it comes with
            message.result = result
            extra.append(ChannelResult(message.id, result))
        written = self.transitions.commit(message, [update], now, extra=extra)
        if message.status in FINAL and not awaits_read(message):
            self.live.unindex(message)
        return written

    def _drop_stale_early(self, now: float) -> None:
        if len(self._early) < _EARLY_LIMIT:
            return
        for key, early in list(self._early.items()):
            if now - early.at > EARLY_RECEIPT_TTL:
                del self._early[key]
                self.counters.receipts_unmatched += 1
                log.warning("receipt for unknown upstream id %s on %s", key[1], key[0])


async def _nothing() -> None:
    """An awaitable for a report that needs no write."""
