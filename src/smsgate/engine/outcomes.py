"""What connectors report, applied to messages: the engine's side of `ConnectorEvents`.

accepted -> the part is sent (and a report held for it applied); failed -> the part fails (or
the message falls back to its next channel), or is queued again when only its attempts ran
out; receipt -> `Receipts`; inbound -> the `InboundDesk`; a rich channel's user events ->
`UserEvents`.
"""

import logging
from collections.abc import Awaitable

from smsgate.domain.status import FINAL, Status
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.dispatch import Dispatch
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.fallback import Fallbacks
from smsgate.engine.inbound import InboundDesk
from smsgate.engine.latency import LatencyWindow
from smsgate.engine.live import LiveMessages
from smsgate.engine.ports import DeliveryReport, InboundPart, PartKey, UserEvent
from smsgate.engine.receipts import Receipts
from smsgate.engine.transitions import Transitions
from smsgate.engine.user_events import UserEvents
from smsgate.store import PartUpdate

log = logging.getLogger(__name__)


class Outcomes:
    def __init__(
        self,
        live: LiveMessages,
        transitions: Transitions,
        receipts: Receipts,
        fallbacks: Fallbacks,
        inbound_desk: InboundDesk,
        user_events: UserEvents,
        dispatch: Dispatch,
        queue: Dispatcher,
        counters: Counters,
        submit_latency: LatencyWindow,
        clock: Clock,
    ) -> None:
        self.live = live
        self.transitions = transitions
        self.receipts = receipts
        self.fallbacks = fallbacks
        self.inbound_desk = inbound_desk
        self.user_events = user_events
        self.dispatch = dispatch
        self.queue = queue
        self.counters = counters
        self.submit_latency = submit_latency
        self.clock = clock

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.dispatch.made_room()
        message_id, seq = key
        message = self.live.get(message_id)
        if message is None:
            log.warning("a connector accepted a part of a message not in memory: %s", message_id)
            return
        now = self.clock.time()
        part = message.parts[seq - 1]
        self.live.index(connector_id, carrier_id, key)
        if part.status is Status.SENT or part.status in FINAL:
            # sent again after a lost link, and the first copy got its answer (or report)
            # already: keep the status, note the second id so that its report matches too
            self.transitions.record(
                PartUpdate(
                    message_id,
                    seq,
                    Status.SENT,
                    now,
                    detail=f"sent again as {carrier_id}",
                    applied=False,
                )
            )
        else:
            self.counters.submitted += 1
            by = self.counters.submitted_by
            by[connector_id] = by.get(connector_id, 0) + 1
            self.submit_latency.add(now - message.created_at)
            update = PartUpdate(
                message_id,
                seq,
                Status.SENT,
                now,
                upstream_id=carrier_id,
                connector_id=connector_id,
                attempts=part.attempts,
                submitted_at=now,
            )
            self.transitions.commit(message, [update], now)
        early = self.receipts.take_early(connector_id, carrier_id)
        if early is not None:
            self.receipts.apply(message, part, early.report, now)

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.dispatch.made_room()
        message_id, seq = key
        message = self.live.get(message_id)
        if message is None:
            return
        part = message.parts[seq - 1]
        if not permanent:
            # the connector gave up for now: queue the message again
            part.status = Status.QUEUED
            self.queue.push(message_id, message.priority)
            return
        self.counters.failed += 1
        if part.connector_id is not None:
            by = self.counters.failed_by
            by[part.connector_id] = by.get(part.connector_id, 0) + 1
        now = self.clock.time()
        update = PartUpdate(
            message_id,
            seq,
            Status.FAILED,
            now,
            error_code=error,
            error_detail=detail,
            attempts=part.attempts,
            done_at=now,
        )
        if message.fallback:
            self.fallbacks.fall_back(message, error, update)
            return
        self.transitions.commit(message, [update], now)

    def receipt(self, connector_id: str, report: DeliveryReport) -> Awaitable[None]:
        return self.receipts.receipt(connector_id, report)

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        """Store an MO message (or a part of one); returns once it is persisted."""
        self.counters.inbound += 1
        await self.inbound_desk.receive(connector_id, part)

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        """A user's message, tap or subscription on a rich channel; returns once persisted."""
        await self.user_events.receive(connector_id, event)
