"""A connector of another kind than SMPP, in process: it proves that a channel plugs into the
engine through its ports alone (`smsgate.engine.ports`), with no change to the engine.

Each part it is handed is accepted under an id of its own on the next turn of the event loop,
and a delivery report follows with the status the test chose for that destination. A test can
hold reports back, send one before the acceptance it belongs to, take the connector down, and
deliver MO parts; with `hold` it answers nothing and hands every part back when stopped, like
a link that went quiet.
"""

import asyncio
import itertools
from dataclasses import dataclass, field

from smsgate.domain.status import Status
from smsgate.engine.ports import (
    ConnectorEvents,
    DeliveryReport,
    InboundPart,
    OutboundPart,
)


@dataclass
class MemoryConnector:
    name: str
    window: int = 10
    channel: str = "sms"
    up: bool = True
    outcome: dict[str, Status] = field(default_factory=dict)  # by destination; else DELIVERED
    refuse: dict[str, str] = field(default_factory=dict)  # destination -> catalog error
    report_first: bool = False  # the report overtakes the acceptance
    hold: bool = False  # keep the parts unanswered; stop() hands them back
    handed: list[OutboundPart] = field(default_factory=list)
    held: list[OutboundPart] = field(default_factory=list)
    events: ConnectorEvents | None = None
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    _pending: set["asyncio.Future[None]"] = field(default_factory=set)
    _queued: int = 0

    # -- the Connector port --------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.name

    @property
    def is_up(self) -> bool:
        return self.up

    @property
    def links_up(self) -> int:
        return int(self.up)

    @property
    def capacity(self) -> int:
        return self.window

    @property
    def queue_depth(self) -> int:
        return self._queued

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def start(self, events: ConnectorEvents) -> None:
        self.events = events

    def submit(self, part: OutboundPart) -> bool:
        if not self.up or self._queued >= self.window:
            return False
        self._queued += 1
        self.handed.append(part)
        if self.hold:
            self.held.append(part)
            return True
        asyncio.get_running_loop().call_soon(self._answer, part)
        return True

    async def stop(self, drain_timeout: float) -> list[OutboundPart]:
        self.up = False
        if self._pending:
            await asyncio.wait(self._pending, timeout=drain_timeout)
        back, self.held = self.held, []
        self._queued -= len(back)
        return back

    # -- what the channel does -----------------------------------------------------------------

    def _answer(self, part: OutboundPart) -> None:
        assert self.events is not None
        self._queued -= 1
        error = self.refuse.get(part.destination)
        if error is not None:
            self.events.failed(part.key, error, f"refused by {self.name}", permanent=True)
            return
        carrier_id = f"{self.name}-{next(self._ids)}"
        status = self.outcome.get(part.destination, Status.DELIVERED)
        report = DeliveryReport((carrier_id,), status, status.name, "")
        if self.report_first:
            self._report(report)
            self.events.accepted(part.key, carrier_id, self.name)
        else:
            self.events.accepted(part.key, carrier_id, self.name)
            self._report(report)

    def _report(self, report: DeliveryReport) -> None:
        assert self.events is not None
        future = asyncio.ensure_future(self.events.receipt(self.name, report))
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def mo(self, source: str, destination: str, text: str) -> None:
        assert self.events is not None
        await self.events.inbound(self.name, InboundPart(source, destination, 0, text.encode()))
