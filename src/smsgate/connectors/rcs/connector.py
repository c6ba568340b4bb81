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
import random
import uuid
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.queued import QueuedConnector
from smsgate.connectors.rcs.capabilities import CapabilityCache
from smsgate.connectors.rcs.client import Answer, PlatformUnreachableError, RcsClient
from smsgate.connectors.rcs.config import RcsConnectorConfig
from smsgate.domain.errors import GatewayError
from smsgate.engine.clock import Clock, SystemClock
from smsgate.engine.ports import OutboundPart, PartKey, Revoked

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


class RcsConnector(QueuedConnector[Job]):
    channel = "rcs"
    config: RcsConnectorConfig
    stats: RcsStats

    def __init__(
        self,
        config: RcsConnectorConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.stats = RcsStats()
        super().__init__(
            config, self.stats, rng=rng, log=log, peer="platform", task_prefix=f"rcs {config.id}"
        )
        self.clock = clock or SystemClock()  # capability answers expire by its time
        self.capabilities = CapabilityCache(
            self.clock, config.capability_ttl, config.capability_cache_size
        )
        self._client: RcsClient | None = None
        self._last_bot = ""
        self._lookups: dict[tuple[str, str], asyncio.Future[bool]] = {}

    def _open(self) -> None:
        self._client = RcsClient(self.config)

    async def _close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _job(self, part: OutboundPart) -> Job:
        return Job(part, message_id(part.key))

    # -- capability and revoke -----------------------------------------------------------------

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
                self._heard(answer)
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
            if not await self.pacer.pace():
                self._pool.hand_back(job)  # stopping: handed back
                return
            try:
                answer = await self._client.send(
                    part.source, part.destination, part.content, job.msg_id
                )
            except PlatformUnreachableError as exc:
                self._unreachable(str(exc))
                if await self._retry(job, "carrier_unavailable", f"platform unreachable: {exc}"):
                    continue
                return
            self._heard(answer)
            status = answer.status
            if status in _ACCEPTED:
                found = _rcs_message(answer.body).get("msgId")
                self._accepted(job, found if isinstance(found, str) and found else job.msg_id)
                return
            if status == 429:
                if self._throttled(job, "carrier_unavailable", answer.retry_after):
                    continue
                return
            if status == 404:
                self.stats.not_capable += 1
                self.capabilities.put(part.source, part.destination, False)
                self._fail(job, "rcs_not_capable", answer.detail, permanent=True)
                return
            if 400 <= status < 500:
                self._fail(job, "carrier_rejected", answer.detail, permanent=True)
                return
            if not await self._retry(job, "carrier_unavailable", answer.detail):
                return

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
        self._heard(answer)
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

    def _heard(self, answer: Answer) -> None:
        status = answer.status
        if status in _UNAVAILABLE or status in _REFUSED_CREDENTIALS:
            self._health.set(False, answer.detail)
        else:
            self._answered()

    def _unreachable(self, detail: str) -> None:
        self.stats.unreachable += 1
        self._health.set(False, detail)

    async def _probe(self) -> None:
        assert self._client is not None
        bot = self.config.probe_bot or self._last_bot or "probe"
        try:
            answer = await self._client.capabilities(bot, self.config.probe_user)
        except PlatformUnreachableError as exc:
            self._unreachable(str(exc))
            return
        self._heard(answer)


def _rcs_message(body: dict[str, object]) -> dict[str, object]:
    found = body.get("RCSMessage")
    return found if isinstance(found, dict) else {}


__all__ = ["RcsConnector", "RcsStats", "message_id"]
