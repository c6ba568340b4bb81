"""The outbox's dead rows reclaimed as it goes (PostgreSQL): every `interval` seconds the node
asks the store to tidy its queues (`Store.tidy_queues`), which vacuums the outbox, one node at
a time, once enough settled items left dead row versions behind, so that claims stay as cheap
at the millionth item as at the first."""

import logging
from typing import Final

from smsgate.engine.periodic import PeriodicJob
from smsgate.store import Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL: Final = 1.0  # seconds between looks at the outbox's dead rows


class QueueUpkeep(PeriodicJob):
    name = "smsgate-queue-upkeep"

    def __init__(self, store: Store, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(interval)
        self.store = store

    async def run_once(self) -> int:
        dead = await self.store.tidy_queues()
        if dead:
            log.debug("outbox: %d dead rows reclaimed", dead)
        return dead
