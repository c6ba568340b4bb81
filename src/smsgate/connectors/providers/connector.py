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
import logging
import math
import random
import uuid
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
from smsgate.connectors.sending import (
    Health,
    Pacer,
    SendingPool,
    StopSignal,
    backoff,
    report_accepted,
    report_failed,
)
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
        self._stop = StopSignal()
        self._started = False
        self._closed = False
        self._pool = SendingPool(
            log,
            config.id,
            self._send,
            queue_size=config.queue_size,
            max_in_flight=config.max_in_flight,
        )
        self._pacer = Pacer(
            self._stop,
            config.rate,
            throttle_pause=config.throttle_pause,
            pause_max=config.retry_max,
        )
        self._health = Health(log, config.id, "provider", self._stop)
        self._last_answer = -math.inf  # loop time of the provider's last answer
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
        self._pacer.start()
        self._pool.start(f"{self.id} worker")
        self._prober = asyncio.get_running_loop().create_task(
            self._probe_loop(), name=f"{self.id} probe"
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
        if not self._started or self.stopping:
            return False
        return self._pool.offer(Job(part, reference(part.key)))

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
        return self.config.max_in_flight if self.is_up else 0

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the provider to answer; whether it did."""
        return await self._health.wait_up(timeout)

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, job: Job) -> None:
        try:
            self.provider.check(job.part)
        except ProviderError as refused:
            self.stats.refused_fields += 1
            self._fail(job, refused.code, refused.detail, permanent=True)
            return
        while True:
            if not await self._pacer.pace():
                self._pool.hand_back(job)  # stopping: handed back
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
                self._pacer.pause(throttled.retry_after)
                continue
            except ProviderError as error:
                if error.down:
                    self.stats.unreachable += 1
                    self._health.set(False, error.detail)
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
        if await self._stop.wait(self._backoff(job.attempts)):
            self._pool.hand_back(job)
            return False
        return True

    def _backoff(self, attempts: int) -> float:
        return backoff(self.rng, attempts, self.config.retry_min, self.config.retry_max)

    def _accepted(self, job: Job, carrier_id: str) -> None:
        self.stats.sent += 1
        assert self.events is not None
        report_accepted(log, self.events, self.id, job.part.key, carrier_id)

    def _fail(self, job: Job, error: str, detail: str, *, permanent: bool) -> None:
        self.stats.failed += 1
        assert self.events is not None
        report_failed(log, self.events, self.id, job.part.key, error, detail, permanent=permanent)

    # -- health --------------------------------------------------------------------------------

    def _answered(self) -> None:
        self._last_answer = asyncio.get_running_loop().time()
        self._health.set(True, "")

    async def _probe_loop(self) -> None:
        """Ask for the provider's health while it is down or has been idle for an interval."""
        interval = self.config.probe_interval
        loop = asyncio.get_running_loop()
        while True:
            if not self._health.healthy or loop.time() - self._last_answer >= interval:
                try:
                    answered = await self.provider.probe()
                except Exception:
                    log.exception("%s: the provider's probe raised", self.id)
                    answered = False
                if answered:
                    self._answered()
                else:
                    self.stats.unreachable += 1
                    self._health.set(False, "the health request failed")
            if await self._stop.wait(interval):
                return


__all__ = ["Job", "ProviderConnector", "ProviderStats", "reference"]
