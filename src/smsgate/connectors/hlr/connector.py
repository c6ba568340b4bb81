"""The HLR lookup connector: the "hlr" channel, a lookup of the number instead of a message.

    connector = HlrConnector(config)                 # or HlrConnector(config, provider=...)
    await connector.start(events)
    if not connector.submit(part):      # never blocks; False means the queue is full
        ...                             # back-pressure: keep the part and offer it later
    unsent = await connector.stop(drain_timeout=10.0)

It implements the engine's `Connector` port. A part's `destination` is the number to look up
(E.164 digits); its text and content are not used. One worker hands queued parts to lookup
tasks, at most `max_in_flight` at a time and within `rate`. Each part's lookup is reported as

    accepted(key, lookup_id, id)
    receipt(id, DeliveryReport((lookup_id,), DELIVERED "DELIVRD" | UNDELIVERED "UNDELIV",
                               error=<err>, result={"imsi", "msc", "mcc", "mnc", "cn", "net",
                                                    "rcn", "rnet", "ported"}))

DELIVERED when the HLR knows the subscriber, UNDELIVERED when it is absent or unknown (err:
the provider's network error, else the MAP error of the state; `smsgate.domain.hlr`). The
lookup id is derived from the part's key, so a part looked up again is the same lookup.

A result is kept (`cache_ttl`, `absent_ttl`, `cache_size`) and answers later lookups of the
number without asking the provider; parts asking about a number whose lookup is under way
share its answer. The provider's refusals fail the part for good: `invalid_destination` for a
number it calls malformed, `carrier_rejected` otherwise. No answer, a 5xx or refused
credentials are retried with a growing back-off up to `max_attempts`, 429s (the provider's
rate, with every lookup paused for Retry-After) up to `max_throttled`; then the part fails
with `carrier_unavailable`, `permanent=False` (another route may do better).

The connector is down from a lookup without an answer until one is answered, and takes no
parts for `recovery_interval` after going down: the next lookup then tells whether the
provider is back (a probe would be a lookup paid for).

A result is in hand before the engine hears of it, so a report the engine did not take (it
raised, or took longer than `report_timeout`) is offered again, up to `report_attempts`.

stop() stops taking parts, waits up to `drain_timeout` for the lookups under way (they still
report), and hands back the parts not looked up or whose report the engine had not taken yet;
looked up again, they are answered from the cache.
"""

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.hlr.cache import ResultCache
from smsgate.connectors.hlr.config import HlrConnectorConfig
from smsgate.connectors.hlr.http_provider import HttpHlrProvider
from smsgate.connectors.hlr.provider import (
    HlrProvider,
    ProviderRefusedError,
    ProviderThrottledError,
    ProviderUnavailableError,
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
from smsgate.domain.hlr import HlrResult
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.ports import ConnectorEvents, DeliveryReport, OutboundPart, PartKey

log = logging.getLogger(__name__)

# lookup ids are UUIDs named by the part's key in this namespace (fixed: the same part, the
# same id), written as 32 hex digits
_LOOKUP_ID_NAMESPACE: Final = uuid.UUID("2d0f7a64-3b5e-4c1d-8e92-7f4a6b1c9e03")
_MAX_DIGITS: Final = 15


def lookup_id(key: PartKey) -> str:
    """The id a part's lookup is reported under."""
    return uuid.uuid5(_LOOKUP_ID_NAMESPACE, f"{key.message_id}/{key.seq}").hex


class _StoppingError(Exception):
    """The connector began to stop while a lookup waited: its parts go back to the queue."""


class _FailedError(Exception):
    def __init__(self, error: str, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail
        self.permanent = permanent


@dataclass(slots=True)
class Job:
    """A part on its way through the connector."""

    part: OutboundPart
    lookup_id: str


@dataclass(slots=True)
class HlrStats:
    looked_up: int = 0  # parts whose result was reported
    lookups: int = 0  # lookups the provider answered with a result
    cache_hits: int = 0  # parts answered from the cache
    shared: int = 0  # parts that waited for another part's lookup of the same number
    failed: int = 0  # parts given up (failed event)
    throttled: int = 0  # 429 answers
    retried: int = 0  # lookups repeated after no answer or a 5xx
    unavailable: int = 0  # lookups without a usable answer
    reports_retried: int = 0  # results offered to the engine again
    reports_lost: int = 0  # results the engine never took


class HlrConnector:
    channel = "hlr"

    def __init__(
        self,
        config: HlrConnectorConfig,
        *,
        provider: HlrProvider | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()  # cached results expire by its time
        self.rng = rng or random.Random()  # back-off jitter
        self.stats = HlrStats()
        self.cache = ResultCache(self.clock, config.cache_ttl, config.absent_ttl, config.cache_size)
        self.events: ConnectorEvents | None = None  # set by start(), kept after stop
        self._stop = StopSignal()
        self._provider = provider
        self._started = False
        self._pool = SendingPool(
            log,
            config.id,
            self._look_up,
            queue_size=config.queue_size,
            max_in_flight=config.max_in_flight,
            what="lookup",
        )
        self.pacer = Pacer(
            self._stop,
            config.rate,
            throttle_pause=config.throttle_pause,
            pause_max=config.retry_max,
        )
        # up until a lookup goes unanswered
        self._health = Health(log, config.id, "provider", self._stop, healthy=True)
        self._down_until = 0.0  # time.monotonic() before which no part is taken
        self._pending: dict[str, asyncio.Future[HlrResult]] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.config.id

    async def start(self, events: ConnectorEvents) -> None:
        """Start looking up queued parts; returns at once."""
        if self._started:
            raise RuntimeError(f"connector {self.config.id} already started")
        self._started = True
        self.events = events
        if self._provider is None:
            self._provider = HttpHlrProvider(self.config)
        self.pacer.start()
        self._pool.start(f"hlr {self.id} worker")

    async def stop(self, drain_timeout: float = 10.0) -> list[OutboundPart]:
        """Stop taking parts, let the lookups under way finish within `drain_timeout`, close;
        return the parts not (surely) reported."""
        if not self._started or self.stopping:
            return []
        self._stop.begin()
        unsent = await self._pool.stop(drain_timeout)
        if self._provider is not None:
            await self._provider.close()
        log.info("%s: stopped, %d parts handed back", self.id, len(unsent))
        return unsent

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False (at once) when the queue is full, or the connector is not
        started or stopping."""
        if not self._started or self.stopping:
            return False
        return self._pool.offer(Job(part, lookup_id(part.key)))

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
        if not self._started or self.stopping:
            return False
        return self._health.healthy or time.monotonic() >= self._down_until

    @property
    def links_up(self) -> int:
        return int(self.is_up)

    @property
    def capacity(self) -> int:
        return self.config.max_in_flight if self.is_up else 0

    # -- looking up ----------------------------------------------------------------------------

    async def _look_up(self, job: Job) -> None:
        number = job.part.destination
        if not (number.isascii() and number.isdigit() and len(number) <= _MAX_DIGITS):
            self._fail(
                job,
                _FailedError(
                    "invalid_destination", f"{number!r} is not E.164 digits", permanent=True
                ),
            )
            return
        try:
            result = await self._result(number)
        except _StoppingError:
            self._pool.hand_back(job)  # handed back by stop()
            return
        except _FailedError as failed:
            self._fail(job, failed)
            return
        assert self.events is not None
        report_accepted(log, self.events, self.id, job.part.key, job.lookup_id)
        await self._report(job, result)

    async def _result(self, number: str) -> HlrResult:
        """The number's result: from the cache, from a lookup of it already under way, or
        asked of the provider. Raises _FailedError, or _StoppingError."""
        cached = self.cache.get(number)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        pending = self._pending.get(number)
        if pending is not None:
            self.stats.shared += 1
            return await asyncio.shield(pending)
        future: asyncio.Future[HlrResult] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        try:
            result = await self._ask(number)
        except asyncio.CancelledError:
            future.set_exception(_StoppingError())  # the waiters are handed back with this part
            future.exception()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: a lookup nobody else waited for is no leak
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._pending[number]

    async def _ask(self, number: str) -> HlrResult:
        """Ask the provider, again after answers worth retrying; the result is cached."""
        assert self._provider is not None
        attempts = throttled = 0
        while True:
            if not await self.pacer.pace():
                raise _StoppingError()
            try:
                result = await self._provider.lookup(number)
            except ProviderUnavailableError as exc:
                self.stats.unavailable += 1
                self._set_health(False, exc.detail)
                attempts += 1
                if attempts >= self.config.max_attempts:
                    detail = f"{exc.detail} (after {attempts} attempts)"
                    raise _FailedError("carrier_unavailable", detail, permanent=False) from None
                self.stats.retried += 1
                if await self._stop.wait(self._backoff(attempts)):
                    raise _StoppingError() from None
                continue
            except ProviderThrottledError as exc:
                self._set_health(True, "")
                self.stats.throttled += 1
                throttled += 1
                if throttled > self.config.max_throttled:
                    detail = f"throttled {throttled} times"
                    raise _FailedError("carrier_unavailable", detail, permanent=False) from None
                self.pacer.pause(exc.retry_after)
                continue
            except ProviderRefusedError as exc:
                self._set_health(True, "")
                error = "invalid_destination" if exc.invalid_number else "carrier_rejected"
                raise _FailedError(error, exc.detail, permanent=True) from None
            self._set_health(True, "")
            self.stats.lookups += 1
            self.cache.put(number, result)
            return result

    async def _report(self, job: Job, result: HlrResult) -> None:
        """Hand the result to the engine; offered again while the engine does not take it."""
        assert self.events is not None
        report = DeliveryReport(
            carrier_ids=(job.lookup_id,),
            status=result.status,
            label=result.label,
            error=result.err,
            result=result.report_result(),
        )
        for attempt in range(1, self.config.report_attempts + 1):
            try:
                async with asyncio.timeout(self.config.report_timeout):
                    await self.events.receipt(self.id, report)
            except Exception as exc:
                log.warning(
                    "%s: the engine did not take lookup %s: %r", self.id, job.lookup_id, exc
                )
                if attempt < self.config.report_attempts:
                    self.stats.reports_retried += 1
                    await asyncio.sleep(self._backoff(attempt))
                continue
            self.stats.looked_up += 1
            return
        self.stats.reports_lost += 1
        log.error(
            "%s: lookup %s of part %s never taken by the engine",
            self.id,
            job.lookup_id,
            job.part.key,
        )

    def _fail(self, job: Job, failed: _FailedError) -> None:
        self.stats.failed += 1
        assert self.events is not None
        key = job.part.key
        report_failed(
            log, self.events, self.id, key, failed.error, failed.detail, permanent=failed.permanent
        )

    # -- pacing and health ---------------------------------------------------------------------

    def _backoff(self, attempts: int) -> float:
        return backoff(self.rng, attempts, self.config.retry_min, self.config.retry_max)

    def _set_health(self, healthy: bool, detail: str) -> None:
        if not healthy:
            # every unanswered lookup pushes the next try further: parts wait for the interval
            self._down_until = time.monotonic() + self.config.recovery_interval
        self._health.set(healthy, detail)


__all__ = ["HlrConnector", "HlrStats", "lookup_id"]
