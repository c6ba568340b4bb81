"""The engine's side of a connector that sends each part as one request to an HTTP peer (the
RCS platform, a channel's provider): the part of the `Connector` port such connectors share.

    class MyConnector(QueuedConnector[MyJob]):
        def _job(self, part): ...               # what is kept of a part on its way
        async def _send(self, job): ...         # one part: pace, ask, map the answer
        async def _probe(self): ...             # one health request (sets the health)

A subclass's `_send` waits for `self.pacer.pace()` before each request (handing the job back
with `self._pool.hand_back` when it says stop began), reports with `_accepted`/`_fail`, and
asks `_throttled` after a 429 and `_retry` after an answer worth sending again. Everything
else (the queue and its back-pressure, the in-flight slots, the rate, the health and its
probe loop, stop handing back what was not sent) is here.
"""

import abc
import asyncio
import logging
import math
import random
from typing import Final, Generic, Protocol, TypeVar

from smsgate.connectors.sending import (
    Carrying,
    Health,
    Pacer,
    SendingPool,
    StopSignal,
    backoff,
    report_accepted,
    report_failed,
)
from smsgate.engine.ports import ConnectorEvents, OutboundPart


class QueuedSettings(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def queue_size(self) -> int: ...
    @property
    def max_in_flight(self) -> int: ...
    @property
    def rate(self) -> float | None: ...
    @property
    def throttle_pause(self) -> float: ...
    @property
    def retry_min(self) -> float: ...
    @property
    def retry_max(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def max_throttled(self) -> int: ...
    @property
    def probe_interval(self) -> float: ...


class QueuedCounts(Protocol):
    sent: int
    failed: int
    throttled: int
    retried: int


class Attempted(Carrying, Protocol):
    attempts: int  # sends that got no answer or one worth sending again
    throttled: int  # 429 answers


J = TypeVar("J", bound=Attempted)

PROBE_AGAIN: Final = 1.0  # seconds before the first probe of a peer found down


class QueuedConnector(abc.ABC, Generic[J]):
    def __init__(
        self,
        config: QueuedSettings,
        stats: QueuedCounts,
        *,
        rng: random.Random | None,
        log: logging.Logger,
        peer: str,
        task_prefix: str,
    ) -> None:
        self.rng = rng or random.Random()  # back-off jitter
        self.events: ConnectorEvents | None = None  # set by start(), kept after stop
        self._settings = config
        self._counts = stats
        self._log = log
        self._task_prefix = task_prefix  # names the worker and probe tasks
        self._stop = StopSignal()
        self._started = False
        self._closed = False
        self._pool: SendingPool[J] = SendingPool(
            log,
            config.id,
            self._send,
            queue_size=config.queue_size,
            max_in_flight=config.max_in_flight,
        )
        self.pacer = Pacer(
            self._stop,
            config.rate,
            throttle_pause=config.throttle_pause,
            pause_max=config.retry_max,
        )
        self._health = Health(log, config.id, peer, self._stop)
        self._last_answer = -math.inf  # loop time of the peer's last answer
        self._prober: asyncio.Task[None] | None = None

    # -- what a subclass supplies --------------------------------------------------------------

    @abc.abstractmethod
    def _job(self, part: OutboundPart) -> J:
        """What is kept of a part on its way."""

    @abc.abstractmethod
    async def _send(self, job: J) -> None:
        """Send one part and report what became of it (or hand it back when stop began)."""

    @abc.abstractmethod
    async def _probe(self) -> None:
        """One health request of the peer; it sets the health."""

    def _open(self) -> None:
        """Called by start() before the first send: open what sends need."""

    async def _close(self) -> None:
        """Called by stop() once nothing is sent any more."""

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._settings.id

    async def start(self, events: ConnectorEvents) -> None:
        """Start sending; returns at once, the first probe of the peer runs behind."""
        if self._started:
            raise RuntimeError(f"connector {self.id} already started")
        self._started = True
        self.events = events
        self._open()
        self.pacer.start()
        self._pool.start(f"{self._task_prefix} worker")
        self._prober = asyncio.get_running_loop().create_task(
            self._probe_loop(), name=f"{self._task_prefix} probe"
        )

    async def stop(self, drain_timeout: float = 10.0) -> list[OutboundPart]:
        """Stop taking parts, let the sends under way finish within `drain_timeout`, close;
        return the parts not (surely) sent."""
        if not self._started or self.stopping:
            return []
        self._stop.begin()
        self._health.set(False, "")
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)
        unsent = await self._pool.stop(drain_timeout)
        await self._close()
        self._closed = True
        self._log.info("%s: stopped, %d parts handed back", self.id, len(unsent))
        return unsent

    @property
    def running(self) -> bool:
        """Started and not stopped yet: it takes the peer's webhooks (during the drain too,
        for the reports of the last sends)."""
        return self._started and not self._closed

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False (at once) when the queue is full, or the connector is not
        started or stopping."""
        if not self._started or self.stopping:
            return False
        return self._pool.offer(self._job(part))

    @property
    def stopping(self) -> bool:
        return self._stop.stopping

    @property
    def queue_depth(self) -> int:
        return len(self._pool.queue)

    @property
    def in_flight(self) -> int:
        return len(self._pool.in_flight)

    @property
    def is_up(self) -> bool:
        return self._health.healthy and not self.stopping

    @property
    def links_up(self) -> int:
        return int(self.is_up)

    @property
    def capacity(self) -> int:
        return self._settings.max_in_flight if self.is_up else 0

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the peer to answer; whether it did."""
        return await self._health.wait_up(timeout)

    # -- what sends share ----------------------------------------------------------------------

    def _throttled(self, job: J, error: str, retry_after: float | None) -> bool:
        """After a 429: whether to send again (once the pause the peer asked for is over);
        False when the part failed with `error` for too many of them."""
        self._counts.throttled += 1
        job.throttled += 1
        if job.throttled > self._settings.max_throttled:
            self._fail(job, error, f"throttled {job.throttled} times", permanent=False)
            return False
        self.pacer.pause(retry_after)
        return True

    async def _retry(self, job: J, error: str, detail: str) -> bool:
        """After a send without an answer or with one worth sending again: whether to send
        again (after a back-off). False when the part failed with `error` for lack of
        attempts or went back to the queue because of stop()."""
        job.attempts += 1
        if job.attempts >= self._settings.max_attempts:
            detail = f"{detail} (after {job.attempts} attempts)"
            self._fail(job, error, detail, permanent=False)
            return False
        self._counts.retried += 1
        if await self._stop.wait(self._backoff(job.attempts)):
            self._pool.hand_back(job)
            return False
        return True

    def _backoff(self, attempts: int) -> float:
        return backoff(self.rng, attempts, self._settings.retry_min, self._settings.retry_max)

    def _accepted(self, job: J, carrier_id: str) -> None:
        self._counts.sent += 1
        assert self.events is not None
        report_accepted(self._log, self.events, self.id, job.part.key, carrier_id)

    def _fail(self, job: J, error: str, detail: str, *, permanent: bool) -> None:
        self._counts.failed += 1
        assert self.events is not None
        key = job.part.key
        report_failed(self._log, self.events, self.id, key, error, detail, permanent=permanent)

    # -- health --------------------------------------------------------------------------------

    def _answered(self) -> None:
        """The peer answered (whatever it said): it is up."""
        self._last_answer = asyncio.get_running_loop().time()
        self._health.set(True, "")

    async def _probe_loop(self) -> None:
        """Probe while the peer is down or has been idle for an interval. A peer found down
        (by a probe or a send) is probed again after a second, then at doubling waits up to
        the interval: the connector is back within about a second of a short outage's end."""
        interval = self._settings.probe_interval
        loop = asyncio.get_running_loop()
        wait = interval
        while True:
            if not self._health.healthy or loop.time() - self._last_answer >= interval:
                await self._probe()
            if self._health.healthy:
                wait = interval
                if await self._down_or_stop(interval):
                    return
                if self._health.healthy:
                    continue  # idle for an interval: the check above probes
            wait = min(interval, PROBE_AGAIN if wait >= interval else wait * 2)
            if await self._stop.wait(wait):
                return

    async def _down_or_stop(self, seconds: float) -> bool:
        """Wait up to `seconds`, less if the peer is found down or stop begins; whether it
        began."""
        waits = {
            asyncio.ensure_future(self._health.down.wait()),
            asyncio.ensure_future(self._stop.wait(seconds)),
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()
        return self._stop.stopping


__all__ = ["Attempted", "QueuedConnector", "QueuedCounts", "QueuedSettings"]
