"""The e-mail connector: parts as e-mails through an SMTP relay.

    connector = EmailConnector(config)
    await connector.start(events)
    if not connector.submit(part):      # never blocks; False means the queue is full
        ...                             # back-pressure: keep the part and offer it later
    unsent = await connector.stop(drain_timeout=10.0)

A part's `destination` is the recipient's address, `text` the body, `content["subject"]` the
subject; its `source` is the From when it is an address, else the display name of the
configured `from_address`. `connections` sessions with the relay are kept open, each sending
one message at a time, all within `rate`. For each part:

- the relay's 250: `accepted(key, message_id, id)`, then a DeliveryReport DELIVERED
  ("DELIVRD", error "000"): for e-mail, delivered means that the relay took the message;
- a 5xx: `failed(key, "undeliverable", "<code> <text> (e-mail error N)", permanent=True)`;
- a 4xx, or a connection lost before the reply: sent again after a growing back-off, up to
  `max_attempts` sends; then `failed(key, "carrier_unavailable", ..., permanent=False)`;
- a destination that is not an address: `failed(key, "invalid_destination", ...)`; a subject
  or text over the limits: `failed(key, "carrier_rejected", ...)`, both permanent.

The connector is up while the relay takes sessions: a session that cannot be opened (no
connection, TLS or AUTH refused) or that is lost takes it down, and a probe (a session opened
and closed) after a growing back-off brings it back; while it is down nothing is sent.

With a `bounce_address`, each part goes under an envelope sender naming it (verp.py); a DSN
that comes back to it (taken by the SMTP server, bounces.py) is handed to `bounced`, which
reports the part UNDELIVERED ("UNDELIV", the e-mail error code), overturning the delivery
reported when the relay took it.

stop() stops taking parts, lets the messages being sent finish within `drain_timeout`, and
hands back the parts not sent or whose reply never came (sent again, they carry the same
Message-ID); no event is reported for those.
"""

import asyncio
import contextlib
import logging
import random
from collections import deque
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.email.config import EmailConnectorConfig
from smsgate.connectors.email.dsn import RecipientStatus
from smsgate.connectors.email.mime import Envelope, UnsendableError, envelope, message_id
from smsgate.connectors.email.relay import RelayLink, RelayUnreachableError, probe
from smsgate.connectors.email.replies import UNAVAILABLE
from smsgate.connectors.sending import (
    Health,
    Pacer,
    StopSignal,
    backoff,
    report_accepted,
    report_failed,
)
from smsgate.domain.status import Status
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.ports import ConnectorEvents, DeliveryReport, OutboundPart, PartKey

log = logging.getLogger(__name__)

DELIVERED_LABEL: Final = "DELIVRD"
BOUNCED_LABEL: Final = "UNDELIV"


@dataclass(slots=True)
class Job:
    """A part on its way through the connector."""

    part: OutboundPart
    attempts: int = 0  # sends answered 4xx or cut by a lost connection


@dataclass(slots=True)
class EmailStats:
    sent: int = 0  # parts the relay took
    failed: int = 0  # parts given up (failed event)
    refused: int = 0  # of those, answered 5xx
    deferred: int = 0  # 4xx answers
    lost: int = 0  # sends cut by a lost connection
    retried: int = 0  # sends repeated
    sessions: int = 0  # sessions opened by the probe (the senders' are counted in links)
    reports: int = 0  # delivery reports the engine took
    reports_lost: int = 0  # reports the engine did not take after report_attempts
    bounced: int = 0  # parts a DSN reported failed


class EmailConnector:
    channel = "email"

    def __init__(
        self,
        config: EmailConnectorConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()  # the messages' Date
        self.rng = rng or random.Random()  # back-off jitter
        self.stats = EmailStats()
        self.events: ConnectorEvents | None = None
        self._stop = StopSignal()
        self._started = False
        self._tls = config.tls_context()
        self._links = [RelayLink(config, self._tls) for _ in range(config.connections)]
        self._queue: deque[Job] = deque()
        self._delayed: dict[int, tuple[asyncio.TimerHandle, Job]] = {}  # id(job) -> retry
        self._sending: dict[int, Job] = {}  # link index -> the job it is sending
        self._reports: set[asyncio.Task[bool]] = set()
        self._nonempty = asyncio.Event()
        self._health = Health(log, config.id, "relay", self._stop)
        # SMTP has no 429: the pause is never asked for, only the rate applies
        self.pacer = Pacer(
            self._stop, config.rate, throttle_pause=config.retry_max, pause_max=config.retry_max
        )
        self._workers: list[asyncio.Task[None]] = []
        self._prober: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.config.id

    async def start(self, events: ConnectorEvents) -> None:
        """Start sending; returns at once, the first probe of the relay runs behind."""
        if self._started:
            raise RuntimeError(f"connector {self.id} already started")
        self._started = True
        self.events = events
        loop = asyncio.get_running_loop()
        self.pacer.start()
        self._prober = loop.create_task(self._keep_up(), name=f"email {self.id} probe")
        self._workers = [
            loop.create_task(self._work(n), name=f"email {self.id} session {n}")
            for n in range(len(self._links))
        ]

    async def stop(self, drain_timeout: float = 10.0) -> list[OutboundPart]:
        """Stop taking parts, let the messages being sent finish within `drain_timeout`,
        close the sessions; return the parts not (surely) sent."""
        if not self._started or self.stopping:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_timeout
        self._stop.begin()
        self._nonempty.set()
        self._health.up.set()  # wakes senders waiting for the relay: they see `stopping` and end
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
        if self._workers:
            await asyncio.wait(self._workers, timeout=max(0.0, deadline - loop.time()))
        cut = dict(self._sending)  # sends still without a reply, by session
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for index in cut:
            self._links[index].abort()
        unsent = [job.part for job in cut.values()]
        unsent.extend(job.part for job in self._queue)
        self._queue.clear()
        for handle, job in self._delayed.values():
            handle.cancel()
            unsent.append(job.part)
        self._delayed.clear()
        if self._reports:
            await asyncio.wait(self._reports, timeout=max(0.0, deadline - loop.time()))
            for report in self._reports:
                report.cancel()
            await asyncio.gather(*self._reports, return_exceptions=True)
        await asyncio.gather(*(link.close() for link in self._links))
        log.info("%s: stopped, %d parts handed back", self.id, len(unsent))
        return unsent

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False (at once) when the queue is full, or the connector is not
        started or stopping."""
        if not self._started or self.stopping or self.queue_depth >= self.config.queue_size:
            return False
        self._queue.append(Job(part))
        self._nonempty.set()
        return True

    @property
    def stopping(self) -> bool:
        return self._stop.stopping

    @property
    def queue_depth(self) -> int:
        return len(self._queue) + len(self._delayed)

    @property
    def in_flight(self) -> int:
        return len(self._sending)

    @property
    def is_up(self) -> bool:
        return self._health.healthy and not self.stopping

    @property
    def links_up(self) -> int:
        return sum(link.connected for link in self._links)

    @property
    def capacity(self) -> int:
        return self.config.connections if self.is_up else 0

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the relay to take a session; whether it did."""
        return await self._health.wait_up(timeout)

    # -- sending -------------------------------------------------------------------------------

    async def _work(self, index: int) -> None:
        """One session's sender: takes parts in order while the relay is up."""
        link = self._links[index]
        while not self.stopping:
            job = await self._take(link)
            if job is None:
                continue
            self._sending[index] = job
            try:
                await self._deliver(link, job)
            finally:
                self._sending.pop(index, None)
            if len(self._reports) >= self.config.max_pending_reports:
                # the engine is behind: stop sending until it took some reports
                await asyncio.wait(self._reports, return_when=asyncio.FIRST_COMPLETED)

    async def _take(self, link: RelayLink) -> Job | None:
        """The next part, once the relay is up and the rate allows; None when there is none
        yet (the session was closed for idleness meanwhile) or stop began."""
        if not self._health.healthy:
            await self._health.up.wait()
            return None
        if not self._queue:
            self._nonempty.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nonempty.wait(), self.config.idle_timeout)
            if not self._queue and link.connected and self._idle(link):
                await link.close()
            return None
        if not await self.pacer.pace():
            return None
        # taken by another sender, or down meanwhile
        if not self._queue or not self._health.healthy:
            return None
        return self._queue.popleft()

    def _idle(self, link: RelayLink) -> bool:
        return asyncio.get_running_loop().time() - link.last_used >= self.config.idle_timeout

    async def _deliver(self, link: RelayLink, job: Job) -> None:
        try:
            mail = envelope(job.part, self.config, self.clock.time())
        except UnsendableError as exc:
            self._fail(job, exc.code, exc.detail, permanent=True)
            return
        try:
            reply = await link.send(mail)
        except RelayUnreachableError as exc:
            self.stats.lost += 1
            self._health.set(False, str(exc))
            self._retry(job, f"relay unreachable: {exc} (e-mail error {UNAVAILABLE})", now=True)
            return
        if reply.taken:
            self._accepted(job, mail)
        elif reply.temporary:
            self.stats.deferred += 1
            self._retry(job, reply.describe())
        else:
            self.stats.refused += 1
            self._fail(job, "undeliverable", reply.describe(), permanent=True)

    def _retry(self, job: Job, detail: str, *, now: bool = False) -> None:
        """After a 4xx or a lost connection: fail the part once its attempts are spent, else
        send it again: at the head of the queue when the relay is down (it goes once the
        probe brought it back), after a back-off otherwise."""
        job.attempts += 1
        if job.attempts >= self.config.max_attempts:
            detail = f"{detail}, after {job.attempts} attempts"
            self._fail(job, "carrier_unavailable", detail, permanent=False)
            return
        self.stats.retried += 1
        if now:
            self._queue.appendleft(job)
            self._nonempty.set()
            return
        handle = asyncio.get_running_loop().call_later(self._backoff(job.attempts), self._due, job)
        self._delayed[id(job)] = (handle, job)

    def _due(self, job: Job) -> None:
        """A part's back-off ended: it goes ahead of the parts that came after it."""
        if self._delayed.pop(id(job), None) is not None:
            self._queue.appendleft(job)
            self._nonempty.set()

    def _backoff(self, attempts: int) -> float:
        return backoff(self.rng, attempts, self.config.retry_min, self.config.retry_max)

    # -- reports -------------------------------------------------------------------------------

    def _accepted(self, job: Job, mail: Envelope) -> None:
        self.stats.sent += 1
        assert self.events is not None
        if not report_accepted(log, self.events, self.id, job.part.key, mail.message_id):
            return
        if not job.part.receipt:
            return
        report = DeliveryReport(
            carrier_ids=(mail.message_id,),
            status=Status.DELIVERED,
            label=DELIVERED_LABEL,
            error="000",
        )
        task = asyncio.get_running_loop().create_task(self._report(report))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def bounced(self, key: PartKey, failure: RecipientStatus) -> bool:
        """A DSN said the part's e-mail failed: reported UNDELIVERED with the failure's e-mail
        error code, overturning its delivery. Whether the engine took the report (if not, the
        DSN is refused for now and its sender brings it again)."""
        if self.events is None:
            return False
        reply = failure.reply()
        report = DeliveryReport(
            carrier_ids=(message_id(key, self.config.id_domain()),),
            status=Status.UNDELIVERED,
            label=BOUNCED_LABEL,
            error=reply.error_code(),
            detail=f"bounced: {reply.describe()}",
            overturns_delivery=True,
        )
        self.stats.bounced += 1
        return await self._report(report)

    async def _report(self, report: DeliveryReport) -> bool:
        """Hand a report to the engine, again after a failure or a timeout (it is ours: no
        peer will send it again), up to report_attempts times; whether it was taken."""
        assert self.events is not None
        for attempt in range(1, self.config.report_attempts + 1):
            try:
                # shielded: a timeout must not cancel what the engine may share
                await asyncio.wait_for(
                    asyncio.shield(self.events.receipt(self.id, report)),
                    self.config.report_timeout,
                )
            except Exception as exc:
                log.warning("%s: report %s not taken (%s)", self.id, report.carrier_ids[0], exc)
                if attempt < self.config.report_attempts:
                    await asyncio.sleep(self._backoff(attempt))
            else:
                self.stats.reports += 1
                return True
        self.stats.reports_lost += 1
        return False

    def _fail(self, job: Job, error: str, detail: str, *, permanent: bool) -> None:
        self.stats.failed += 1
        assert self.events is not None
        report_failed(log, self.events, self.id, job.part.key, error, detail, permanent=permanent)

    # -- health --------------------------------------------------------------------------------

    async def _keep_up(self) -> None:
        """While the relay is down: a session opened and closed, after a growing back-off,
        until one succeeds."""
        failures = 0
        while not self.stopping:
            await self._health.down.wait()
            try:
                await probe(self.config, self._tls)
            except RelayUnreachableError as exc:
                failures += 1
                log.debug("%s: probe failed: %s", self.id, exc)
                if await self._stop.wait(self._backoff(failures)):
                    return
                continue
            self.stats.sessions += 1
            failures = 0
            self._health.set(True, "")


__all__ = ["EmailConnector", "EmailStats"]
