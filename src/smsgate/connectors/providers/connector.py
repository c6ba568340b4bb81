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

import logging
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
from smsgate.connectors.queued import QueuedConnector
from smsgate.engine.ports import OutboundPart, PartKey

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


class ProviderConnector(QueuedConnector[Job]):
    config: ProviderConnectorConfig
    stats: ProviderStats

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
        self.stats = ProviderStats()
        super().__init__(
            config, self.stats, rng=rng, log=log, peer="provider", task_prefix=config.id
        )

    @property
    def channel(self) -> str:
        return self.config.channel

    def _job(self, part: OutboundPart) -> Job:
        return Job(part, reference(part.key))

    async def _close(self) -> None:
        await self.provider.close()

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, job: Job) -> None:
        try:
            self.provider.check(job.part)
        except ProviderError as refused:
            self.stats.refused_fields += 1
            self._fail(job, refused.code, refused.detail, permanent=True)
            return
        while True:
            if not await self.pacer.pace():
                self._pool.hand_back(job)  # stopping: handed back
                return
            try:
                answer = await self._provider_send(job)
            except ThrottledError as throttled:
                self._answered()
                if self._throttled(job, throttled.code, throttled.retry_after):
                    continue
                return
            except ProviderError as error:
                if error.down:
                    self.stats.unreachable += 1
                    self._health.set(False, error.detail)
                else:
                    self._answered()
                if error.permanent:
                    self._fail(job, error.code, error.detail, permanent=True)
                    return
                if await self._retry(job, error.code, error.detail):
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

    # -- health --------------------------------------------------------------------------------

    async def _probe(self) -> None:
        """Ask for the provider's health."""
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


__all__ = ["Job", "ProviderConnector", "ProviderStats", "reference"]
