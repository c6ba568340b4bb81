"""The upstream SMPP connector: a pool of binds to one carrier that the engine hands parts to.

    connector = SmppConnector(config)
    await connector.start(events)
    if not connector.submit(part):   # never blocks; False means the queue is full
        ...                          # back-pressure: keep the part and offer it later
    unsent = await connector.stop(drain_timeout=10.0)

It implements the engine's `Connector` port and translates between the engine's neutral parts
and reports and SMPP. Every outcome reaches the engine through `ConnectorEvents`, on the event
loop: `accepted` (possibly more than once for a part re-sent after a lost link), `failed`, and
the awaited `receipt` / `inbound`. Throttled parts go back to the front of the queue while
their bind pauses; temporary errors, timeouts and lost links retry up to `max_attempts`.

stop() stops taking parts, waits up to `drain_timeout` for the answers of parts in flight (they
still produce events) and for the engine to take receipts in progress, unbinds, closes, and
returns the parts that were not sent or whose answer never came: the engine puts them back in
its own queue. No event is emitted for them. Those whose answer never came may have been accepted
by the carrier, like parts re-sent after a lost link.
"""

import asyncio
import contextlib
import logging
import random

from smsgate.connectors.smpp.config import BindMode, ConnectorConfig
from smsgate.connectors.smpp.inbound import InboundHandler
from smsgate.connectors.smpp.link import BindLink
from smsgate.connectors.smpp.queue import ConnectorStats, Job, PartQueue
from smsgate.domain.token_bucket import TokenBucket
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.ports import ConnectorEvents, OutboundPart
from smsgate.smpp.constants import status_name
from smsgate.smpp.pdu import Bind, BindReceiver, BindTransceiver, BindTransmitter
from smsgate.smpp.receipt import normalise_message_id

log = logging.getLogger(__name__)

# The connections of one bind in each mode: name, bind PDU, and whether it sends parts.
_LINK_KINDS: dict[BindMode, list[tuple[str, type[Bind], bool]]] = {
    BindMode.TRX: [("trx", BindTransceiver, True)],
    BindMode.TX_RX: [("tx", BindTransmitter, True), ("rx", BindReceiver, False)],
    BindMode.TX: [("tx", BindTransmitter, True)],
    BindMode.RX: [("rx", BindReceiver, False)],
}


class SmppConnector:
    def __init__(
        self,
        config: ConnectorConfig,
        *,
        rng: random.Random | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.rng = rng or random.Random()
        self.clock = clock or SystemClock()  # validity periods are relative to its time
        self.stats = ConnectorStats()
        self.queue = PartQueue(config.queue_size)
        self.events: ConnectorEvents  # set by start()
        self.inbound: InboundHandler  # set by start()
        self.stopping = False
        self.links: list[BindLink] = []
        self.loop: asyncio.AbstractEventLoop  # set by start()
        self._started = False
        self._stop_event: asyncio.Event | None = None
        self._drained: asyncio.Event | None = None
        self._bucket: TokenBucket | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.config.id

    async def start(self, events: ConnectorEvents) -> None:
        """Start binding; returns at once, the binds come up (and retry) in the background."""
        if self._started:
            raise RuntimeError(f"connector {self.config.id} already started")
        self._started = True
        self.events = events
        config = self.config
        self.inbound = InboundHandler(
            config.id, events, self.stats, config.inbound_timeout, config.receipt_id_conversion
        )
        self.loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._drained = asyncio.Event()
        if self.config.max_tps is not None:
            # a tenth of a second's burst (at least one): the rate is spread over the second,
            # as carriers that measure short intervals would throttle a second's worth at once
            rate = self.config.max_tps
            self._bucket = TokenBucket(rate, self.loop.time(), burst=max(1.0, rate / 10))
        self.links = self._make_links()
        for link in self.links:
            link.start()

    def _make_links(self) -> list[BindLink]:
        mode, count, cid = self.config.bind_mode, self.config.binds, self.config.id
        kinds = _LINK_KINDS[mode]
        return [
            BindLink(self, f"{cid}/{kind}{index}", bind_class, transmits)
            for kind, bind_class, transmits in kinds
            for index in range(count)
        ]

    async def stop(self, drain_timeout: float = 10.0) -> list[OutboundPart]:
        """Stop taking parts, drain, unbind and close; return the parts not (surely) sent."""
        if not self._started or self.stopping:
            return []
        assert self._stop_event is not None and self._drained is not None
        self.stopping = True
        self._stop_event.set()
        deadline = self.loop.time() + drain_timeout
        for link in self.links:
            await link.stop_sending()
        if self.in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), max(0.0, deadline - self.loop.time()))
        await self.inbound.drain(max(0.0, deadline - self.loop.time()))
        await asyncio.gather(*(link.close() for link in self.links))
        # What arrived during the unbind: the engine still gets the rest of the time for it.
        await self.inbound.drain(max(0.0, deadline - self.loop.time()))
        unsent = [job.part for job in self.queue.take_all()]
        log.info("%s: stopped, %d parts handed back", self.config.id, len(unsent))
        return unsent

    async def wait_stopping(self, timeout: float) -> None:
        """Wait `timeout` seconds, or less if stop() begins (a back-off that stop cuts short)."""
        assert self._stop_event is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), timeout)

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part for sending; False (at once) when the queue is full, the connector is
        stopping or not started, or it has no transmitting binds."""
        if not self._started or self.stopping or self.config.bind_mode is BindMode.RX:
            return False
        return self.queue.offer(Job(part))

    @property
    def queue_depth(self) -> int:
        return len(self.queue)

    @property
    def in_flight(self) -> int:
        return sum(len(link.in_flight) for link in self.links)

    @property
    def links_up(self) -> int:
        """Bound connections (a tx+rx bind counts as two)."""
        return sum(link.is_up for link in self.links)

    channel = "sms"

    @property
    def is_up(self) -> bool:
        return any(link.is_up for link in self.links)

    @property
    def capacity(self) -> int:
        """Parts the bound transmitters may have in flight now: their windows, less what the
        throttle governors hold back."""
        return sum(link.governor.limit for link in self.links if link.transmits and link.is_up)

    # -- for the links -------------------------------------------------------------------------

    def pace_left(self) -> float:
        """Seconds until the connector's rate allows one more submit_sm; 0 when it does."""
        bucket = self._bucket
        return 0.0 if bucket is None else bucket.wait_time(self.loop.time())

    def paced(self) -> None:
        """A submit_sm goes now: it takes its token from the connector's rate."""
        if self._bucket is not None:
            self._bucket.spend()

    def answered(self) -> None:
        """A part left a window; stop() waits for the last one."""
        if self.stopping and self._drained is not None and self.in_flight == 0:
            self._drained.set()

    def submitted(self, job: Job, upstream_id: str) -> None:
        try:
            self.events.accepted(job.part.key, normalise_message_id(upstream_id), self.config.id)
        except Exception:
            log.exception("%s: submitted event for %s raised", self.config.id, job.part.key)

    def fail(self, job: Job, command_status: int, permanent: bool, detail: str) -> None:
        self.stats.failed += 1
        try:
            self.events.failed(
                job.part.key,
                "carrier_rejected",
                _detail(command_status, detail),
                permanent=permanent,
            )
        except Exception:
            log.exception("%s: failed event for %s raised", self.config.id, job.part.key)


def _detail(command_status: int, detail: str) -> str:
    """The failure's detail, naming the command_status."""
    name = status_name(command_status)
    if not detail:
        return name
    return detail if name in detail else f"{name}: {detail}"


__all__ = ["SmppConnector"]
