"""Channel time to live: a message sent on a channel with another after it (RCS, then SMS)
that is not delivered within its time there is revoked, and falls back only once the revoke
succeeded, so the handset never gets it twice. A revoke refused because the message was
delivered meanwhile delivers it (no fallback); one that could not be decided is tried again
at the next pass.

The job finds such messages in the store (`Store.channel_timed_out`, a partial index), in
bounded pages, so it works after a restart; with several nodes on one PostgreSQL one node at
a time runs a pass (`Store.job_lock`).
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Final

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import FINAL, Status
from smsgate.engine.clock import Clock
from smsgate.engine.counters import Counters
from smsgate.engine.fallback import Fallbacks
from smsgate.engine.live import LiveMessages
from smsgate.engine.periodic import PeriodicJob
from smsgate.engine.ports import Connector, DeliveryReport, is_rich
from smsgate.engine.receipts import Receipts
from smsgate.store import PartUpdate, Store
from smsgate.store.paging import Due

log = logging.getLogger(__name__)

DEFAULT_BATCH: Final = 200  # messages read per page
_REVOKES_AT_ONCE: Final = 32  # revoke requests in flight per pass
JOB: Final = "channel-timeouts"


class ChannelTimeouts(PeriodicJob):
    name = "smsgate-channel-timeouts"

    def __init__(
        self,
        store: Store,
        live: LiveMessages,
        connectors: Mapping[str, Connector],
        fallbacks: Fallbacks,
        receipts: Receipts,
        counters: Counters,
        clock: Clock,
        *,
        interval: float,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        super().__init__(interval)
        self.store = store
        self.live = live
        self.connectors = connectors
        self.fallbacks = fallbacks
        self.receipts = receipts
        self.counters = counters
        self.clock = clock
        self.batch = batch
        self._slots = asyncio.Semaphore(_REVOKES_AT_ONCE)

    async def run_once(self) -> int:
        """One pass; how many messages were revoked (or found delivered)."""
        async with self.store.job_lock(JOB) as ours:
            if not ours:
                return 0
            done = 0
            after: Due | None = None
            while True:
                due = await self.store.channel_timed_out(self.clock.time(), self.batch, after)
                results = await asyncio.gather(*(self._revoke(i) for _, i in due))
                done += sum(results)
                if len(due) < self.batch:
                    return done
                after = due[-1]

    async def _revoke(self, message_id: str) -> bool:
        message = await self.live.load(message_id)
        if message is None or message.status is not Status.SENT:
            return False
        now = self.clock.time()
        if message.channel_until is None or message.channel_until > now:
            return False
        part = message.parts[0]
        connector = self.connectors.get(part.connector_id or "")
        if part.upstream_id is None or not is_rich(connector):
            return False
        bot = (message.content or {}).get("botId", "")
        try:
            async with self._slots:
                result = await connector.revoke(part.upstream_id, bot)
        except GatewayError as error:
            log.warning("revoking %s on %s failed: %s", message.id, connector.id, error)
            return False
        return self._revoked(message, result.revoked, result.delivered, result.reason)

    def _revoked(self, message: Message, revoked: bool, delivered: bool, reason: str) -> bool:
        part = message.parts[0]
        now = self.clock.time()
        if part.status in FINAL or message.status in FINAL:
            return False  # a report ended it while the revoke was on its way
        if delivered:
            report = DeliveryReport((), Status.DELIVERED, "delivered (revoke refused)")
            self.receipts.apply(message, part, report, now)
            return True
        if not revoked:
            log.info("message %s was not revoked (%s): tried again later", message.id, reason)
            return False
        self.counters.revoked += 1
        ttl = message.channel_until or now
        outcome = PartUpdate(
            message.id,
            part.seq,
            Status.REVOKED,
            now,
            error_code="expired",
            error_detail=f"not delivered on {message.channel} in time",
            done_at=now,
            detail=f"revoked {now - ttl:.1f} s after its time on {message.channel} ended",
        )
        if message.fallback:
            self.fallbacks.fall_back(message, "not delivered in time, revoked", outcome)
        else:
            self.receipts.transitions.commit(message, [outcome], now)
        return True
