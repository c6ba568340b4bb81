"""Expired rows of the identical-request window nodes share (PostgreSQL): deleted every
`interval` seconds by one node at a time. A row past its window refuses nothing even before it
is deleted (a new request replaces it), so the job only keeps the table to about one window of
requests."""

import logging
from typing import Final

from smsgate.engine.clock import Clock
from smsgate.engine.periodic import PeriodicJob
from smsgate.store import Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL: Final = 60.0  # seconds between purges


class IdenticalPurge(PeriodicJob):
    name = "smsgate-identical-purge"

    def __init__(self, store: Store, clock: Clock, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(interval)
        self.store = store
        self.clock = clock

    async def run_once(self) -> int:
        async with self.store.job_lock(self.name) as mine:
            if not mine:
                return 0  # another node is purging now
            deleted = await self.store.purge_identical(self.clock.time())
        if deleted:
            log.debug("identical-request window: %d expired rows deleted", deleted)
        return deleted
