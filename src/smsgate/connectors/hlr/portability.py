"""Numbers an HLR lookup found ported, into the number-portability table: the store's (every
node reads it at its next start) and the router's in memory (this node's SMS to the number take
the routes of its new carrier at once). A status listener: it hears of each committed status."""

import asyncio
import logging

from smsgate.domain.carriers import CarrierTable
from smsgate.domain.channels import HLR
from smsgate.domain.hlr import portability_row
from smsgate.domain.message import Message
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.domain.status import Status
from smsgate.engine.clock import Clock
from smsgate.store import Store

log = logging.getLogger(__name__)


class PortabilityFeed:
    def __init__(self, store: Store, carriers: CarrierTable, clock: Clock) -> None:
        self.store = store
        self.carriers = carriers
        self.clock = clock
        self.fed = 0  # numbers written
        self._writes: set[asyncio.Task[None]] = set()

    def __call__(self, message: Message, status: Status) -> None:
        if message.channel != HLR or message.result is None or status is not Status.DELIVERED:
            return
        row = portability_row(message.destination, message.result, self.clock.time())
        if row is None:
            return
        self.carriers.port(row.number, row.carrier)
        task = asyncio.create_task(self._write(row.number, row))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, number: str, row: PortabilityRow) -> None:
        try:
            await self.store.import_portability([row])
            self.fed += 1
        except Exception as error:  # the table in memory has it; the next lookup writes again
            log.warning("+%s ported, not written to the portability table: %s", number, error)

    async def drain(self) -> None:
        if self._writes:
            await asyncio.wait(set(self._writes))
