"""Dispatch: hands queued messages to connectors, by priority and due time.

The queue (`Dispatcher`) orders message ids; this loop takes the next one, expires it past its
validity, drops it when its recipient opted out since, asks the router for the connectors to
try among those up, and hands every unsent part to the first with room. A connector's own
(first in, first out) queue is kept to about one window, so that the order between messages is
decided here, by priority: an urgent message is never stuck behind a campaign already handed
over.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Protocol

from smsgate.domain.channels import EMAIL, FIELDS, PING, RCS, SMS, THROUGH_SMS
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message, Part, Priority
from smsgate.domain.status import FINAL, Status
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.fallback import Fallbacks
from smsgate.engine.live import LiveMessages
from smsgate.engine.opt_outs import OptOutList
from smsgate.engine.ports import Connector, OutboundPart, PartKey, Router
from smsgate.engine.transitions import Transitions
from smsgate.store import PartUpdate
from smsgate.text import UDHI, Sar

log = logging.getLogger(__name__)

_UNSENT = (Status.QUEUED, Status.SCHEDULED, Status.ACCEPTED)
PING_PROTOCOL_ID = 0x40  # TP-PID "short message type 0": acknowledged, never shown
# channels no route names: RCS goes by the account's bot, an e-mail to an address
UNROUTED = frozenset({RCS, EMAIL})
_ROOM_WAIT = 0.05  # seconds to wait for a connector's room before looking again


class Handover(Protocol):
    """Where the connectors held by other nodes are, and how a message goes to one of them."""

    @property
    def remote(self) -> Mapping[str, str]:
        """Connector id -> the other node holding it."""

    async def hand_over(self, message: Message, holder: str) -> bool: ...


class Dispatch:
    def __init__(
        self,
        queue: Dispatcher,
        live: LiveMessages,
        router: Router,
        connectors: Mapping[str, Connector],
        transitions: Transitions,
        fallbacks: Fallbacks,
        opt_outs: OptOutList,
        counters: Counters,
        clock: Clock,
        handover: Handover | None = None,
    ) -> None:
        self.fallbacks = fallbacks
        self.handover = handover  # several nodes: a bind held elsewhere takes the message there
        self.queue = queue
        self.live = live
        self.router = router
        self.connectors = connectors
        self.transitions = transitions
        self.opt_outs = opt_outs
        self.counters = counters
        self.clock = clock
        self._room = asyncio.Event()  # set when a connector has taken a part off its hands
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def made_room(self) -> None:
        """A connector answered a part: it may take more."""
        self._room.set()

    async def _loop(self) -> None:
        queue = self.queue
        while not self._stopping:
            now = self.clock.time()
            queue.release_due(now)
            message_id = queue.pop()
            if message_id is None:
                due = queue.next_due()
                await queue.wait(None if due is None else max(0.0, due - now))
                continue
            try:
                waiting = await self._dispatch(message_id, now)
            except Exception:
                log.exception("dispatching %s failed; it stays queued", message_id)
                waiting = True
                queue.push_front(message_id, Priority.NORMAL)
            if waiting:
                # until a connector reports a part done (room in its queue) or a bind may be up
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), _ROOM_WAIT)

    async def _dispatch(self, message_id: str, now: float) -> bool:
        """Hand one message to a connector. True when it had to wait (no connector free)."""
        # left memory while it waited: its answers need it back there
        message = await self.live.load(message_id)
        if message is None or message.status in FINAL:
            return False
        if message.status is Status.SCHEDULED and (message.scheduled_at or now) > now:
            return False  # rescheduled by a replace: its entry in the scheduled queue counts
        unsent = [p for p in message.parts if p.status in _UNSENT]
        if not unsent:
            return False
        if now >= message.valid_until:
            self.counters.expired += 1
            self.transitions.finish_unsent(message, Status.EXPIRED, "expired", "", now)
            return False
        if self.opt_outs.blocked(message.account_id, message.destination):
            # the recipient sent an opt-out keyword after the message was accepted
            self.transitions.finish_unsent(message, Status.REJECTED, "opted_out", "", now)
            return False
        if message.channel not in THROUGH_SMS:
            return self._dispatch_rich(message, unsent, now)
        connectors = self.connectors
        up = {cid for cid, c in connectors.items() if c.is_up and c.channel == SMS}
        remote = {} if self.handover is None else self.handover.remote
        if remote:
            up |= remote.keys()
        try:
            _, candidates = self.router.connectors(
                message.account_id,
                message.source,
                message.destination,
                None,
                message.carrier,
                up,
            )
        except GatewayError as error:
            self.transitions.finish_unsent(message, Status.REJECTED, error.code, error.detail, now)
            return False
        for connector_id in candidates:
            connector = connectors.get(connector_id)
            holder = remote.get(connector_id)
            if holder is not None and (connector is None or not connector.is_up):
                assert self.handover is not None
                if await self.handover.hand_over(message, holder):
                    return False
                continue
            if connector is None:
                continue
            room = max(connector.capacity, 1) - connector.queue_depth
            if room < len(unsent) and connector.queue_depth:
                continue
            for part in unsent:
                part.connector_id = connector_id
                part.status = Status.SENDING
                part.attempts += 1
                submitted = connector.submit(outbound(message, part))
                assert submitted, "the queue had room for every part"
            if message.status is not Status.SENDING:
                message.status = Status.SENDING
            return False
        self.queue.push_front(message.id, message.priority)
        return True

    def _ordered(self, message: Message, connectors: list[Connector]) -> list[Connector]:
        """A channel's connectors in the order a route naming the channel gives them (with
        its weights), else as configured: routes are optional for channels other than SMS."""
        if message.channel in UNROUTED:
            return connectors
        up = {c.id for c in connectors if c.is_up}
        try:
            _, ids = self.router.connectors(
                message.account_id,
                message.source,
                message.destination,
                None,
                message.carrier,
                up,
                message.channel,
            )
        except GatewayError:  # no route names the channel for this message
            return connectors
        return [self.connectors[i] for i in ids if i in self.connectors] or connectors

    def _dispatch_rich(self, message: Message, unsent: list[Part], now: float) -> bool:
        """Hand a message on a channel other than SMS (RCS, e-mail, Viber, ...) to a connector of
        that channel; fall back to the next channel when none is configured or its time there
        ran out while it waited."""
        channel = message.channel
        rich = [c for c in self.connectors.values() if c.channel == channel]
        if not rich or (message.channel_until is not None and now >= message.channel_until):
            reason = f"no {channel} connector" if not rich else f"not sent on {channel} in time"
            if not message.fallback:
                self.transitions.finish_unsent(
                    message, Status.FAILED, "rcs_unavailable", reason, now
                )
                return False
            part = unsent[0]
            outcome = PartUpdate(message.id, part.seq, Status.EXPIRED, now, detail=reason)
            self.fallbacks.fall_back(message, reason, outcome)
            return False
        for connector in self._ordered(message, rich):
            if connector.is_up and connector.queue_depth < max(connector.capacity, 1):
                part = unsent[0]  # a rich message is one part
                part.connector_id = connector.id
                part.status = Status.SENDING
                part.attempts += 1
                submitted = connector.submit(outbound(message, part))
                assert submitted, "the queue had room"
                message.status = Status.SENDING
                return False
        self.queue.push_front(message.id, message.priority)
        return True


def outbound(message: Message, part: Part) -> OutboundPart:
    """The part as a connector gets it."""
    sar = (
        Sar(part.sar_ref, part.sar_total, part.sar_seq)
        if part.sar_ref is not None and part.sar_total is not None and part.sar_seq is not None
        else None
    )
    channel, content = message.channel, message.content
    source = message.source
    if channel == RCS and content is not None:
        source, content = content["botId"], content["RCSMessage"]  # sent by the account's bot
    elif content is not None:
        content = {name: content[name] for name in FIELDS.get(channel, ()) if name in content}
    return OutboundPart(
        key=PartKey(message.id, part.seq),
        source=source,
        destination=message.destination,
        body=part.short_message,
        text=message.text,
        source_ton=message.source_ton,
        source_npi=message.source_npi,
        data_coding=message.data_coding,
        udhi=bool(part.esm_class & UDHI),
        receipt=message.registered_delivery,
        priority=int(message.priority),
        # a channel with another after it has its own time, after which it gives up
        valid_until=message.channel_until or message.valid_until,
        sar=sar,
        content=content,
        channel=channel,
        protocol_id=PING_PROTOCOL_ID if channel == PING else 0,
    )
