"""The RCS (+message) connector: parts to a MaaP-style platform, capability queries and revokes.

    connector = RcsConnector(config)
    await connector.start(events)
    if not connector.submit(part):      # never blocks; False means the queue is full
        ...                             # back-pressure: keep the part and offer it later
    capable = await connector.capable("819012345678", "bot-id")
    outcome = await connector.revoke(carrier_id, "bot-id")
    unsent = await connector.stop(drain_timeout=10.0)

It implements the engine's `RichConnector` port. A part's `content` is the RCSMessage object,
its `source` the bot's id and its `destination` the user's E.164 digits. One worker hands
queued parts to sending tasks, at most `max_in_flight` at a time and within `rate`; each
reports `accepted(key, msgId, id)` on a 202, `failed(key, "rcs_not_capable", ...,
permanent=True)` on a 404 (the user cannot receive RCS), `failed(key, "carrier_rejected", ...,
permanent=True)` on another 4xx, and retries 5xx answers, timeouts and lost connections with
a growing back-off up to `max_attempts` and 429s (the platform's rate, with the connector's
sends paused for Retry-After) up to `max_throttled`, then fails the part with
`carrier_unavailable`, `permanent=False` (another route may do better).

Each part is sent under a msgId derived from its key, so a send repeated after an answer that
never came is the same message to the platform rather than a second one on the handset.

Delivery reports and the users' own messages come back as webhooks (`webhooks.py`), which the
connector hands to the engine and acknowledges once the engine persisted them.

The connector is up while the platform answers: a request without an answer (no connection,
a timeout), a 502/503/504 (the platform or its gateway says it is unavailable) or a 401/403
(nothing will be accepted with this token) takes it down, and a capability query to
`probe_user` every `probe_interval` while it is down (or idle) brings it back.

stop() stops taking parts, waits up to `drain_timeout` for the sends under way (they still
report), and returns the parts not sent or whose answer never came; no event is reported for
those. Parts whose answer never came may have been accepted by the platform: sent again, they
carry the same msgId.
"""

import asyncio
import logging
import math
import random
import uuid
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.rcs.capabilities import CapabilityCache
from smsgate.connectors.rcs.client import Answer, PlatformUnreachableError, RcsClient
from smsgate.connectors.rcs.config import RcsConnectorConfig
from smsgate.connectors.sending import (
    Health,
    Pacer,
    SendingPool,
    StopSignal,
    backoff,
    report_accepted,
    report_failed,
)
from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.ports import ConnectorEvents, OutboundPart, PartKey, Revoked

log = logging.getLogger(__name__)

# msgIds are UUIDs named by the part's key in this namespace (fixed: the same part, the same id)
_MSG_ID_NAMESPACE: Final = uuid.UUID("6f1b3c52-8f0e-4a8e-9a57-5d1c2e7b0a41")
_ACCEPTED: Final = frozenset({200, 201, 202})
_UNAVAILABLE: Final = frozenset({502, 503, 504})  # the platform says it cannot serve now
_REFUSED_CREDENTIALS: Final = frozenset({401, 403})
_REACHED_HANDSET: Final = frozenset({"delivered", "displayed"})


def message_id(key: PartKey) -> str:
    """The msgId a part is sent under."""
    return str(uuid.uuid5(_MSG_ID_NAMESPACE, f"{key.message_id}/{key.seq}"))


@dataclass(slots=True)
class Job:
    """A part on its way through the connector."""

    part: OutboundPart
    msg_id: str
    attempts: int = 0  # sends that got no answer or a 5xx
    throttled: int = 0  # 429 answers


@dataclass(slots=True)
class RcsStats:
    sent: int = 0  # parts the platform accepted
    failed: int = 0  # parts given up (failed event)
    not_capable: int = 0  # of those, refused because the user cannot receive RCS
    throttled: int = 0  # 429 answers
    retried: int = 0  # sends repeated after a 5xx or no answer
    unreachable: int = 0  # requests without an answer
    capability_queries: int = 0  # capability questions asked of the platform
    capability_hits: int = 0  # answered from the cache
    revoked: int = 0
    receipts: int = 0  # delivery reports the engine took
    user_events: int = 0  # users' messages, taps and subscriptions the engine took
    webhooks_refused: int = 0  # webhooks answered other than 200


class RcsConnector:
    channel = "rcs"

    def __init__(
        self,
        config: RcsConnectorConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()  # capability answers expire by its time
        self.rng = rng or random.Random()  # back-off jitter
        self.stats = RcsStats()
        self.capabilities = CapabilityCache(
            self.clock, config.capability_ttl, config.capability_cache_size
        )
        self.events: ConnectorEvents | None = None  # set by start(), kept after stop
        self._stop = StopSignal()
        self._started = False
        self._closed = False
        self._client: RcsClient | None = None
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
        self._health = Health(log, config.id, "platform", self._stop)
        self._last_answer = -math.inf  # loop time of the platform's last answer
        self._last_bot = ""
        self._lookups: dict[tuple[str, str], asyncio.Future[bool]] = {}
        self._prober: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.config.id

    async def start(self, events: ConnectorEvents) -> None:
        """Start sending; returns at once, the first probe of the platform runs behind."""
        if self._started:
            raise RuntimeError(f"connector {self.config.id} already started")
        self._started = True
        self.events = events
        self._client = RcsClient(self.config)
        self._pacer.start()
        self._pool.start(f"rcs {self.id} worker")
        self._prober = asyncio.get_running_loop().create_task(
            self._probe_loop(), name=f"rcs {self.id} probe"
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
        if self._client is not None:
            await self._client.close()
        self._closed = True
        log.info("%s: stopped, %d parts handed back", self.id, len(unsent))
        return unsent

    @property
    def running(self) -> bool:
        """Started and not stopped yet: it takes the platform's webhooks (during the drain
        too, for the reports of the last sends)."""
        return self._started and not self._closed

    # -- the engine's side ---------------------------------------------------------------------

    def submit(self, part: OutboundPart) -> bool:
        """Queue a part; False (at once) when the queue is full, or the connector is not
        started or stopping."""
        if not self._started or self.stopping:
            return False
        return self._pool.offer(Job(part, message_id(part.key)))

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
        """Wait up to `timeout` seconds for the platform to answer; whether it did."""
        return await self._health.wait_up(timeout)

    async def capable(self, user: str, bot: str) -> bool:
        """Whether `user` (E.164 digits) can receive RCS from `bot`: from the cache while the
        answer is fresh, else asked once of the platform however many callers wait for it.
        Raises GatewayError("rcs_unavailable") when the platform does not answer."""
        cached = self.capabilities.get(bot, user)
        if cached is not None:
            self.stats.capability_hits += 1
            return cached
        key = (bot, user)
        pending = self._lookups.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._lookups[key] = future
        try:
            capable = await self._ask_capability(bot, user)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: a lookup nobody else waited for is no leak
            raise
        else:
            future.set_result(capable)
            return capable
        finally:
            del self._lookups[key]

    async def revoke(self, carrier_id: str, bot: str) -> Revoked:
        """Take back the message sent under `carrier_id`: Revoked(True) when the platform
        cancelled it, Revoked(False, state, delivered=True) when it reached the handset first,
        Revoked(False, reason) when the platform does not know it or cannot be reached."""
        if self._client is None or self._closed:
            return Revoked(False, "connector not running")
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = await self._client.revoke(bot, carrier_id)
            except PlatformUnreachableError as exc:
                self._unreachable(str(exc))
                reason = f"platform unreachable: {exc}"
            else:
                self._answered(answer)
                if answer.status in (200, 204):
                    self.stats.revoked += 1
                    return Revoked(True)
                if answer.status == 409:
                    state = _rcs_message(answer.body).get("status")
                    state = state if isinstance(state, str) else ""
                    return Revoked(False, state or "conflict", delivered=state in _REACHED_HANDSET)
                if answer.status == 404:
                    return Revoked(False, "unknown message")
                if answer.status != 429 and answer.status < 500:
                    return Revoked(False, answer.detail)
                reason = answer.detail
            if attempts >= self.config.max_attempts or await self._stop.wait(
                self._backoff(attempts)
            ):
                return Revoked(False, reason)

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, job: Job) -> None:
        part = job.part
        if not part.content or not part.source or not part.destination.isdigit():
            self._fail(job, "invalid_rcs_content", "no RCS content, bot or user", permanent=True)
            return
        assert self._client is not None
        self._last_bot = part.source
        while True:
            if not await self._pacer.pace():
                self._pool.hand_back(job)  # stopping: handed back
                return
            try:
                answer = await self._client.send(
                    part.source, part.destination, part.content, job.msg_id
                )
            except PlatformUnreachableError as exc:
                self._unreachable(str(exc))
                if await self._retry(job, f"platform unreachable: {exc}"):
                    continue
                return
            self._answered(answer)
            status = answer.status
            if status in _ACCEPTED:
                found = _rcs_message(answer.body).get("msgId")
                self._accepted(job, found if isinstance(found, str) and found else job.msg_id)
                return
            if status == 429:
                self.stats.throttled += 1
                job.throttled += 1
                if job.throttled > self.config.max_throttled:
                    detail = f"throttled {job.throttled} times"
                    self._fail(job, "carrier_unavailable", detail, permanent=False)
                    return
                self._pacer.pause(answer.retry_after)
                continue
            if status == 404:
                self.stats.not_capable += 1
                self.capabilities.put(part.source, part.destination, False)
                self._fail(job, "rcs_not_capable", answer.detail, permanent=True)
                return
            if 400 <= status < 500:
                self._fail(job, "carrier_rejected", answer.detail, permanent=True)
                return
            if not await self._retry(job, answer.detail):
                return

    async def _retry(self, job: Job, detail: str) -> bool:
        """After a send without an answer or with a 5xx: whether to send again (after a
        back-off). False when the part failed for lack of attempts or went back to the queue
        because the connector is stopping."""
        job.attempts += 1
        if job.attempts >= self.config.max_attempts:
            detail = f"{detail} (after {job.attempts} attempts)"
            self._fail(job, "carrier_unavailable", detail, permanent=False)
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

    # -- capability ----------------------------------------------------------------------------

    async def _ask_capability(self, bot: str, user: str) -> bool:
        if self._client is None or self._closed:
            raise GatewayError("rcs_unavailable", f"connector {self.id} is not running")
        self.stats.capability_queries += 1
        try:
            answer = await self._client.capabilities(bot, user)
        except PlatformUnreachableError as exc:
            self._unreachable(str(exc))
            raise GatewayError("rcs_unavailable", f"platform unreachable: {exc}") from None
        self._answered(answer)
        if answer.status == 200:
            listed = answer.body.get("capabilities")
            capable = not isinstance(listed, list) or bool(listed)
        elif answer.status == 404:
            capable = False
        else:
            raise GatewayError("rcs_unavailable", f"capability query: {answer.detail}")
        self.capabilities.put(bot, user, capable)
        return capable

    # -- health --------------------------------------------------------------------------------

    def _answered(self, answer: Answer) -> None:
        status = answer.status
        if status in _UNAVAILABLE or status in _REFUSED_CREDENTIALS:
            self._set_health(False, answer.detail)
        else:
            self._last_answer = asyncio.get_running_loop().time()
            self._set_health(True, "")

    def _unreachable(self, detail: str) -> None:
        self.stats.unreachable += 1
        self._set_health(False, detail)

    def _set_health(self, healthy: bool, detail: str) -> None:
        self._health.set(healthy, detail)

    async def _probe_loop(self) -> None:
        """Ask a capability while the platform is down or has been idle for an interval."""
        interval = self.config.probe_interval
        loop = asyncio.get_running_loop()
        while True:
            if not self._health.healthy or loop.time() - self._last_answer >= interval:
                await self._probe()
            if await self._stop.wait(interval):
                return

    async def _probe(self) -> None:
        assert self._client is not None
        bot = self.config.probe_bot or self._last_bot or "probe"
        try:
            answer = await self._client.capabilities(bot, self.config.probe_user)
        except PlatformUnreachableError as exc:
            self._unreachable(str(exc))
            return
        self._answered(answer)


def _rcs_message(body: dict[str, object]) -> dict[str, object]:
    found = body.get("RCSMessage")
    return found if isinstance(found, dict) else {}


__all__ = ["RcsConnector", "RcsStats", "message_id"]
