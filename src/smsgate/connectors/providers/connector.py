"""The provider connector: parts of one channel (voice, Viber, Telegram code, Telegram bot,
social) to that channel's provider, whatever the channel.

    connector = ProviderConnector(ProviderConnectorConfig(id="viber1", channel="viber", ...))
    await connector.start(events)
    if not connector.submit(part):      # never blocks; False means the queue is full
        ...                             # back-pressure: keep the part and offer it later
    unsent = await connector.stop(drain_timeout=10.0)

It implements the engine's `Connector` port over a `Provider` (`provider.py`; by default the
channel's JSON HTTP API, `http_provider.py`). One worker hands queued parts to sending tasks,
at most `max_in_flight` at a time and within `rate`. A part whose destination or fields the
channel refuses fails at once (`failed(key, <code>, ..., permanent=True)`, nothing sent). A
send that ends in an id reports `accepted(key, id, connector id)`; one the provider refused
for good fails the part with the code the provider's error names (`permanent=True`); 5xx
answers, timeouts and lost connections are sent again after a growing back-off, up to
`max_attempts`, and 429s (the provider's rate: every send pauses for Retry-After) up to
`max_throttled`; then the part fails `carrier_unavailable` with `permanent=False` (another
route may do better).

Each part is sent under a reference derived from its key, the same on every attempt, so a
send repeated after an answer that never came is one message to the provider.

Reports come back as webhooks (`webhooks.py`), which the connector hands to the engine and
acknowledges once the engine persisted them.

The connector is up while the provider answers: a request without an answer, a 502/503/504
or a 401/403 takes it down, and a health request every `probe_interval` while it is down (or
idle) brings it back.

stop() stops taking parts, waits up to `drain_timeout` for the sends under way (they still
report), and returns the parts not sent or whose answer never came; no event is reported for
those.
"""

import asyncio
import contextlib
import logging
import math
import random
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.providers.channels import CHANNELS
from smsgate.connectors.providers.config import ProviderConnectorConfig
from smsgate.connectors.providers.http_provider import HttpProvider
from smsgate.connectors.providers.provider import (
    Provider,
    ProviderAnswer,
    ProviderError,
    ThrottledError,
)
from smsgate.domain.token_bucket import TokenBucket
from smsgate.engine.ports import ConnectorEvents, OutboundPart, PartKey

log = logging.getLogger(__name__)

# references are UUIDs named by the part's key in this namespace (fixed: the same part, the
# same reference, across restarts too)
_REF_NAMESPACE: Final = uuid.UUID("0d7c64a2-3b8e-4f6a-a1e9-52c0b7d4e813")


def reference(key: PartKey) -> str:
    """The reference a part is sent under."""
    return str(uuid.uuid5(_REF_NAMESPACE, f"{key.message_id}/{key.seq}"))


@dataclass(slots=True)
class Job:
    """A part on its way through the connector."""

    part: OutboundPart
    ref: str
    attempts: int = 0  # sends that got no answer or a temporary error
    throttled: int = 0  # 429 answers


@dataclass(slots=True)
class ProviderStats:
    sent: int = 0  # parts the provider accepted
    failed: int = 0  # parts given up (failed event)
    refused_fields: int = 0  # of those, refused before sending (destination or fields)
    throttled: int = 0  # 429 answers
    retried: int = 0  # sends repeated after a temporary error
    unreachable: int = 0  # requests that found the provider down
    receipts: int = 0  # reports the engine took
    webhooks_refused: int = 0  # webhooks answered other than 200


class ProviderConnector:
    def __init__(
        self,
        config: ProviderConnectorConfig,
        provider: Provider | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.provider: Provider = provider or HttpProvider(CHANNELS[config.channel], config)
        if self.provider.channel != config.channel:
            raise ValueError(f"the provider carries {self.provider.channel}, not {config.channel}")
        self.rng = rng or random.Random()  # back-off jitter
        self.stats = ProviderStats()
        self.events: ConnectorEvents | None = None  # set by start(), kept after stop
        self.stopping = False
        self._started = False
        self._closed = False
        self._queue: deque[Job] = deque()
        self._nonempty = asyncio.Event()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._sending: dict[asyncio.Task[None], Job] = {}
        self._stop_event = asyncio.Event()
        self._up = asyncio.Event()
        self._healthy = False
        self._last_answer = -math.inf  # loop time of the provider's last answer
        self._bucket: TokenBucket | None = None
        self._paused_until = 0.0  # loop time before which nothing is sent (after a 429)
        self._pace_lock = asyncio.Lock()
        self._worker: asyncio.Task[None] | None = None
        self._prober: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def channel(self) -> str:
        return self.config.channel

    async def start(self, events: ConnectorEvents) -> None:
        """Start sending; returns at once, the first probe of the provider runs behind."""
        if self._started:
            raise RuntimeError(f"connector {self.id} already started")
        self._started = True
        self.events = events
        loop = asyncio.get_running_loop()
        if self.config.rate is not None:
            # a tenth of a second's burst (at least one): the rate is spread over the second
            rate = self.config.rate
            self._bucket = TokenBucket(rate, loop.time(), burst=max(1.0, rate / 10))
        self._worker = loop.create_task(self._work(), name=f"{self.id} worker")
        self._prober = loop.create_task(self._probe_loop(), name=f"{self.id} probe")

    async def stop(self, drain_timeout: float = 10.0) -> list[OutboundPart]:
        """Stop taking parts, let the sends under way finish within `drain_timeout`, close;
        return the parts not (surely) sent."""
        if not self._started or self.stopping:
            return []
        self.stopping = True
        self._stop_event.set()
        self._set_health(False, "")
        for task in (self._worker, self._prober):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=drain_timeout)
        cut = dict(self._sending)  # sends still without an answer: cut short, handed back
        for task in cut:
            task.cancel()
        if cut:
            await asyncio.gather(*cut, return_exceptions=True)
        unsent = [job.part for job in cut.values()]
        unsent.extend(job.part for job in self._queue)
        self._queue.clear()
        await self.provider.close()
        self._closed = True
        log.info("%s: stopped, %d parts handed back", self.id, len(unsent))
        return unsent

    @property
    def running(self) -> bool:
        """Started and not stopped yet: it takes the provider's webhooks (during the drain
        too, for the reports of the last sends)."""
        return self._started and not self._closed

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False (at once) when the queue is full, or the connector is not
        started or stopping."""
        if not self._started or self.stopping or len(self._queue) >= self.config.queue_size:
            return False
        self._queue.append(Job(part, reference(part.key)))
        self._nonempty.set()
        return True

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def in_flight(self) -> int:
        return len(self._sending)

    @property
    def is_up(self) -> bool:
        return self._healthy and not self.stopping

    @property
    def links_up(self) -> int:
        return int(self.is_up)

    @property
    def capacity(self) -> int:
        return self.config.max_in_flight if self.is_up else 0

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the provider to answer; whether it did."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), timeout)
        return self.is_up

    # -- sending -------------------------------------------------------------------------------

    async def _work(self) -> None:
        """Take parts in order and start a send for each while a slot is free."""
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._nonempty.clear()
                await self._nonempty.wait()
            await self._slots.acquire()
            if not self._queue:
                self._slots.release()
                continue
            job = self._queue.popleft()
            task = loop.create_task(self._send(job))
            self._sending[task] = job
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.pop(task, None)
        self._slots.release()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: a send ended with an error", self.id, exc_info=exc)

    async def _send(self, job: Job) -> None:
        try:
            self.provider.check(job.part)
        except ProviderError as refused:
            self.stats.refused_fields += 1
            self._fail(job, refused.code, refused.detail, permanent=True)
            return
        while True:
            if not await self._pace():
                self._queue.appendleft(job)  # stopping: handed back
                return
            try:
                answer = await self._provider_send(job)
            except ThrottledError as throttled:
                self._answered()
                self.stats.throttled += 1
                job.throttled += 1
                if job.throttled > self.config.max_throttled:
                    detail = f"throttled {job.throttled} times"
                    self._fail(job, throttled.code, detail, permanent=False)
                    return
                self._pause(throttled.retry_after)
                continue
            except ProviderError as error:
                if error.down:
                    self.stats.unreachable += 1
                    self._set_health(False, error.detail)
                else:
                    self._answered()
                if error.permanent:
                    self._fail(job, error.code, error.detail, permanent=True)
                    return
                if await self._retry(job, error):
                    continue
                return
            self._answered()
            self._accepted(job, answer.id)
            return

    async def _provider_send(self, job: Job) -> ProviderAnswer:
        """The provider's send; what it raises other than a ProviderError (a provider's bug)
        counts as a temporary error, so the part is reported rather than lost."""
        try:
            return await self.provider.send(job.part, job.ref)
        except ProviderError:
            raise
        except Exception as exc:
            log.exception("%s: the provider's send raised", self.id)
            raise ProviderError("carrier_unavailable", repr(exc), permanent=False) from None

    async def _retry(self, job: Job, error: ProviderError) -> bool:
        """After a temporary error: whether to send again (after a back-off). False when the
        part failed for lack of attempts or went back to the queue because of stop()."""
        job.attempts += 1
        if job.attempts >= self.config.max_attempts:
            detail = f"{error.detail} (after {job.attempts} attempts)"
            self._fail(job, error.code, detail, permanent=False)
            return False
        self.stats.retried += 1
        if await self._wait_stopping(self._backoff(job.attempts)):
            self._queue.appendleft(job)
            return False
        return True

    def _backoff(self, attempts: int) -> float:
        """Exponential from retry_min, capped at retry_max, drawn from [half, whole] so that
        parts failed together are not retried together."""
        base = min(self.config.retry_max, self.config.retry_min * 2.0 ** (attempts - 1))
        return self.rng.uniform(base / 2, base)

    def _pause(self, retry_after: float | None) -> None:
        """A 429: the whole connector holds its sends for the time the provider asked."""
        pause = self.config.throttle_pause if retry_after is None else retry_after
        until = asyncio.get_running_loop().time() + min(pause, self.config.retry_max)
        self._paused_until = max(self._paused_until, until)

    async def _pace(self) -> bool:
        """Wait for the rate and any 429 pause to allow one more send; False if stop began.
        One sender waits at a time, so that waiters do not all wake into one burst."""
        loop = asyncio.get_running_loop()
        async with self._pace_lock:
            while not self.stopping:
                now = loop.time()
                wait = self._paused_until - now
                if self._bucket is not None:
                    wait = max(wait, self._bucket.wait_time(now))
                if wait <= 0:
                    if self._bucket is not None:
                        self._bucket.spend()
                    return True
                if await self._wait_stopping(wait):
                    break
            return False

    async def _wait_stopping(self, seconds: float) -> bool:
        """Wait `seconds`, or less when stop() begins; whether it began."""
        if self.stopping:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)
        return self.stopping

    def _accepted(self, job: Job, carrier_id: str) -> None:
        self.stats.sent += 1
        assert self.events is not None
        try:
            self.events.accepted(job.part.key, carrier_id, self.id)
        except Exception:
            log.exception("%s: accepted event for %s raised", self.id, job.part.key)

    def _fail(self, job: Job, error: str, detail: str, *, permanent: bool) -> None:
        self.stats.failed += 1
        assert self.events is not None
        try:
            self.events.failed(job.part.key, error, detail, permanent=permanent)
        except Exception:
            log.exception("%s: failed event for %s raised", self.id, job.part.key)

    # -- health --------------------------------------------------------------------------------

    def _answered(self) -> None:
        self._last_answer = asyncio.get_running_loop().time()
        self._set_health(True, "")

    def _set_health(self, healthy: bool, detail: str) -> None:
        if healthy == self._healthy:
            return
        self._healthy = healthy
        if healthy:
            self._up.set()
            log.info("%s: provider up", self.id)
        else:
            self._up.clear()
            if not self.stopping:
                log.warning("%s: provider down: %s", self.id, detail)

    async def _probe_loop(self) -> None:
        """Ask for the provider's health while it is down or has been idle for an interval."""
        interval = self.config.probe_interval
        loop = asyncio.get_running_loop()
        while True:
            if not self._healthy or loop.time() - self._last_answer >= interval:
                try:
                    answered = await self.provider.probe()
                except Exception:
                    log.exception("%s: the provider's probe raised", self.id)
                    answered = False
                if answered:
                    self._answered()
                else:
                    self.stats.unreachable += 1
                    self._set_health(False, "the health request failed")
            if await self._wait_stopping(interval):
                return


__all__ = ["Job", "ProviderConnector", "ProviderStats", "reference"]
