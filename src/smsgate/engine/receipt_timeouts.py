"""The receipt timeout: parts whose receipt never came are given up once their message's
validity ended some time ago, so that a message does not stay `sent` for ever (and is never
purged by retention, which deletes final messages only).

Each connector says how long after the validity it waits (`receipt_timeout`); a part sent
through it and still `sent` then ends `expired` through `Transitions.commit`, with its callback
or SMPP receipt like any other outcome. A receipt that comes later is kept in the history
only (a final part never moves). The job finds such messages in the store, in bounded pages,
so it works after a restart; with several nodes on one PostgreSQL one node at a time runs a
pass (`Store.job_lock`) and decides from the stored parts, so a part another node finished
is left alone.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Final

from smsgate.domain.message import Message
from smsgate.domain.status import FINAL, Status
from smsgate.engine.clock import Clock
from smsgate.engine.live import LiveMessages
from smsgate.engine.periodic import PeriodicJob
from smsgate.engine.transitions import Transitions
from smsgate.store import PartUpdate, Store
from smsgate.store.paging import Due

log = logging.getLogger(__name__)

DEFAULT_INTERVAL: Final = 60.0  # seconds between passes
DEFAULT_BATCH: Final = 500  # messages read per page
JOB: Final = "receipt-timeouts"


class ReceiptTimeouts(PeriodicJob):
    name = "smsgate-receipt-timeouts"

    def __init__(
        self,
        store: Store,
        live: LiveMessages,
        transitions: Transitions,
        clock: Clock,
        timeouts: Mapping[str, float | None],
        *,
        interval: float = DEFAULT_INTERVAL,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        super().__init__(interval)
        self.store = store
        self.live = live
        self.transitions = transitions
        self.clock = clock
        # connector id -> seconds after the validity; connectors without one are not swept
        self.timeouts = {cid: t for cid, t in timeouts.items() if t is not None}
        self.batch = batch
        self.expired = 0  # parts given up since start

    async def run_once(self) -> int:
        """One pass over every connector; returns how many parts it gave up. Nothing when
        another node holds the job."""
        async with self.store.job_lock(JOB) as ours:
            if not ours:
                return 0
            expired = 0
            for connector_id, timeout in self.timeouts.items():
                expired += await self._connector(connector_id, timeout)
        self.expired += expired
        return expired

    async def _connector(self, connector_id: str, timeout: float) -> int:
        expired = 0
        after: Due | None = None
        while True:
            now = self.clock.time()
            due = await self.store.unreceipted_messages(
                connector_id, now - timeout, self.batch, after
            )
            writes = []
            for _, message_id in due:
                stored = await self.store.get_message(message_id)
                if stored is None:  # deleted meanwhile
                    continue
                write = self._give_up(stored, connector_id, timeout, now)
                if write is not None:
                    writes.append(write)
                    expired += 1
            # committed before the lock is let go, so another node reads the outcome
            await asyncio.gather(*writes)
            if len(due) < self.batch:
                break
            after = due[-1]
        if expired:
            log.warning(
                "%s: %d messages had no receipt %.0f s after their validity: expired",
                connector_id,
                expired,
                timeout,
            )
        return expired

    def _give_up(
        self, stored: Message, connector_id: str, timeout: float, now: float
    ) -> "asyncio.Future[None] | None":
        """End the message's parts still waiting for this connector's receipt. The stored
        parts decide (another node may have finished some); the copy in memory, if any, is
        the one changed, so a receipt that comes later finds the part final."""
        if stored.valid_until + timeout > now:
            return None
        waiting = {
            p.seq
            for p in stored.parts
            if p.status is Status.SENT and p.connector_id == connector_id
        }
        message = self.live.get(stored.id) or stored
        if message is not stored:
            waiting &= {p.seq for p in message.parts if p.status is Status.SENT}
        if not waiting or message.status in FINAL:
            return None
        detail = f"no receipt {timeout:.0f} s after the validity ended"
        updates = [
            PartUpdate(
                message.id,
                seq,
                Status.EXPIRED,
                now,
                error_code="expired",
                error_detail=detail,
                done_at=now,
                detail="receipt timeout",
            )
            for seq in sorted(waiting)
        ]
        log.info("%s: message %s expired: %s", connector_id, message.id, detail)
        written = self.transitions.commit(message, updates, now)
        if message.status in FINAL:
            self.live.unindex(message)
        return written
