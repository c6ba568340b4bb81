"""The sending machinery the queued channel connectors (RCS, providers, HLR, e-mail) share.

    stop = StopSignal()
    pacer = Pacer(stop, rate, throttle_pause=1.0, pause_max=30.0)
    health = Health(log, connector_id, "platform", stop)
    pool = SendingPool(log, connector_id, send_one, queue_size=1000, max_in_flight=10)
    pool.start("rcs x worker"); pacer.start()
    pool.offer(job)                     # False when full: the engine keeps the part
    if not await pacer.pace(): ...      # stop began: hand the job back
    pacer.pause(retry_after)            # a 429: every send waits
    await stop.wait(backoff(rng, attempts, retry_min, retry_max))
    stop.begin(); unsent = await pool.stop(drain_timeout)

Each connector keeps what is its own: the send of one part and how the peer's answer maps to
accepted, failed or sent again. What a job is stays the connector's too; the pool only needs
the part it carries, to hand it back on stop.
"""

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final, Generic, Protocol, TypeVar

from smsgate.domain.token_bucket import TokenBucket
from smsgate.engine.ports import ConnectorEvents, OutboundPart, PartKey


def backoff(rng: random.Random, attempts: int, retry_min: float, retry_max: float) -> float:
    """Exponential from retry_min, capped at retry_max, drawn from [half, whole] so that
    parts failed together are not retried together."""
    base = min(retry_max, retry_min * 2.0 ** (attempts - 1))
    return rng.uniform(base / 2, base)


class StopSignal:
    """Whether stop() began, and a wait that it cuts short."""

    def __init__(self) -> None:
        self.stopping = False
        self._event = asyncio.Event()

    def begin(self) -> None:
        self.stopping = True
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less when stop begins; whether it began."""
        if self.stopping:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        return self.stopping


class RateShare(Protocol):
    """Tokens of a rate that several nodes spend together (engine.shared_rate.SharedRates)."""

    async def take_up_to(self, key: str, rate: float, count: int) -> int: ...


SHARED_WAIT: Final = 0.05  # seconds between asks while a shared bucket is dry


class Pacer:
    """The connector's rate (a token bucket) and the pause a 429 asks of every send.

    Every node runs the channels' connectors; with `share`, the rate is the cluster's: sends
    take tokens from one bucket in the store rather than from this node's own."""

    def __init__(
        self, stop: StopSignal, rate: float | None, *, throttle_pause: float, pause_max: float
    ) -> None:
        self._stop = stop
        self._rate = rate
        self._throttle_pause = throttle_pause
        self._pause_max = pause_max
        self._bucket: TokenBucket | None = None
        self._paused_until = 0.0  # loop time before which nothing is sent (after a 429)
        self._lock = asyncio.Lock()
        self._shared: tuple[RateShare, str] | None = None

    def share(self, source: RateShare, key: str) -> None:
        """Take the rate's tokens from `source` under `key`, shared with the other nodes."""
        self._shared = source, key

    def start(self) -> None:
        """Fill the bucket by the running loop's clock."""
        if self._rate is not None:
            # a tenth of a second's burst (at least one): the rate is spread over the second
            now = asyncio.get_running_loop().time()
            self._bucket = TokenBucket(self._rate, now, burst=max(1.0, self._rate / 10))

    def pause(self, retry_after: float | None) -> None:
        """A 429: every send waits for the time the peer asked (at most `pause_max`)."""
        pause = self._throttle_pause if retry_after is None else retry_after
        until = asyncio.get_running_loop().time() + min(pause, self._pause_max)
        self._paused_until = max(self._paused_until, until)

    async def pace(self) -> bool:
        """Wait for the rate and any 429 pause to allow one more send; False if stop began.
        One sender waits at a time, so that waiters do not all wake into one burst."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            while not self._stop.stopping:
                now = loop.time()
                wait = self._paused_until - now
                if self._shared is not None and self._rate is not None:
                    source, key = self._shared
                    if wait <= 0 and await source.take_up_to(key, self._rate, 1):
                        return True
                    if await self._stop.wait(max(wait, SHARED_WAIT)):
                        break
                    continue
                if self._bucket is not None:
                    wait = max(wait, self._bucket.wait_time(now))
                if wait <= 0:
                    if self._bucket is not None:
                        self._bucket.spend()
                    return True
                if await self._stop.wait(wait):
                    break
            return False


class Health:
    """Whether the peer (platform, provider, relay) answers, with events to wait on."""

    def __init__(
        self,
        log: logging.Logger,
        connector_id: str,
        peer: str,
        stop: StopSignal,
        *,
        healthy: bool = False,
    ) -> None:
        self._log = log
        self._id = connector_id
        self._peer = peer
        self._stop = stop
        self.healthy = healthy
        self.up = asyncio.Event()
        self.down = asyncio.Event()
        (self.up if healthy else self.down).set()

    def set(self, healthy: bool, detail: str) -> None:
        if healthy == self.healthy:
            return
        self.healthy = healthy
        if healthy:
            self.down.clear()
            self.up.set()
            self._log.info("%s: %s up", self._id, self._peer)
        else:
            self.up.clear()
            self.down.set()
            if not self._stop.stopping:
                self._log.warning("%s: %s down: %s", self._id, self._peer, detail)

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the peer to answer; whether it did."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.up.wait(), timeout)
        return self.healthy and not self._stop.stopping


def report_accepted(
    log: logging.Logger, events: ConnectorEvents, connector_id: str, key: PartKey, carrier_id: str
) -> bool:
    """Tell the engine a part was accepted; whether the engine took it without raising (a
    raising engine is logged, never the sender's crash)."""
    try:
        events.accepted(key, carrier_id, connector_id)
    except Exception:
        log.exception("%s: accepted event for %s raised", connector_id, key)
        return False
    return True


def report_failed(
    log: logging.Logger,
    events: ConnectorEvents,
    connector_id: str,
    key: PartKey,
    error: str,
    detail: str,
    *,
    permanent: bool,
) -> None:
    """Tell the engine a part failed (a raising engine is logged)."""
    try:
        events.failed(key, error, detail, permanent=permanent)
    except Exception:
        log.exception("%s: failed event for %s raised", connector_id, key)


class Carrying(Protocol):
    """A job: whatever the connector keeps of a part on its way."""

    @property
    def part(self) -> OutboundPart: ...


J = TypeVar("J", bound=Carrying)


class SendingPool(Generic[J]):
    """The queue of jobs and one worker that starts a send task for each, in order, while
    fewer than `max_in_flight` are under way."""

    def __init__(
        self,
        log: logging.Logger,
        connector_id: str,
        send: Callable[[J], Coroutine[Any, Any, None]],
        *,
        queue_size: int,
        max_in_flight: int,
        what: str = "send",
    ) -> None:
        self._log = log
        self._id = connector_id
        self._send = send
        self._queue_size = queue_size
        self._what = what  # the word the log uses for one task ("send", "lookup")
        self.queue: deque[J] = deque()
        self.in_flight: dict[asyncio.Task[None], J] = {}
        self._nonempty = asyncio.Event()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._worker: asyncio.Task[None] | None = None

    def start(self, name: str) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._work(), name=name)

    def offer(self, job: J) -> bool:
        """Queue a job at the tail; False (at once) when the queue is full."""
        if len(self.queue) >= self._queue_size:
            return False
        self.queue.append(job)
        self._nonempty.set()
        return True

    def hand_back(self, job: J) -> None:
        """A job its send gave up on because stop began: it goes back, to be handed back."""
        self.queue.appendleft(job)

    async def stop(self, drain_timeout: float) -> list[OutboundPart]:
        """Stop starting sends, let those under way finish within `drain_timeout`, cut the
        rest short; the parts not (surely) sent, those cut first, then the queue's."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=drain_timeout)
        cut = dict(self.in_flight)  # sends still without an answer: cut short, handed back
        for task in cut:
            task.cancel()
        if cut:
            await asyncio.gather(*cut, return_exceptions=True)
        unsent = [job.part for job in cut.values()]
        unsent.extend(job.part for job in self.queue)
        self.queue.clear()
        return unsent

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self.queue:
                self._nonempty.clear()
                await self._nonempty.wait()
            await self._slots.acquire()
            if not self.queue:  # taken back meanwhile (cannot happen while running; cheap)
                self._slots.release()
                continue
            job = self.queue.popleft()
            task = loop.create_task(self._send(job))
            self.in_flight[task] = job
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.pop(task, None)
        self._slots.release()
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._log.error("%s: a %s ended with an error", self._id, self._what, exc_info=exc)


__all__ = [
    "Carrying",
    "Health",
    "Pacer",
    "SendingPool",
    "StopSignal",
    "backoff",
    "report_accepted",
    "report_failed",
]
