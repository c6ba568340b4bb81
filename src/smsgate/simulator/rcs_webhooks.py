"""The simulated platforms' webhooks (RCS, the channels' providers): events POSTed to the
gateway with its bearer token, each number's events in the order they happened, retried a
bounded number of times.

Events go through a few lanes, each a bounded queue with one sender: a number always uses
the same lane, so its sent, delivered and displayed arrive in that order, while different
numbers' events go out side by side. A full lane drops the event (counted). They go out on
the gateway's own lean HTTP client (keep-alive, one write per request): with a general-purpose
client the simulated platform spent more CPU on its webhooks than the gateway on taking them,
and fell behind on a loaded machine.
"""

import asyncio
import contextlib
import logging
import zlib
from typing import Any

import orjson

from smsgate.callbacks.http_client import HttpClient, HttpClientError

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(
        self,
        token: str,
        *,
        attempts: int,
        timeout: float,
        retry_delay: float,
        queue_size: int,
        lanes: int = 4,
        name: str = "RCS simulator",
    ) -> None:
        self.name = name  # who is posting, for the log
        self.token = token
        self.attempts = attempts
        self.timeout = timeout
        self.retry_delay = retry_delay
        self.counters = {"posted": 0, "retried": 0, "given_up": 0, "dropped": 0}
        self._queues: list[asyncio.Queue[tuple[str, dict[str, Any]]]] = [
            asyncio.Queue(max(1, queue_size // lanes)) for _ in range(lanes)
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._client: HttpClient | None = None
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def start(self) -> None:
        self._client = HttpClient(len(self._queues), user_agent=b"smsgate-rcs-simulator/1")
        self._tasks = [asyncio.create_task(self._lane(queue)) for queue in self._queues]

    async def stop(self) -> None:
        """Stop at once: events still queued are dropped."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            self._client.close()
            self._client = None

    def post(self, url: str, number: str, event: dict[str, Any]) -> None:
        """POST `event` (about `number`) to `url`, after the number's earlier events."""
        queue = self._queues[zlib.crc32(number.encode()) % len(self._queues)]
        try:
            queue.put_nowait((url, event))
        except asyncio.QueueFull:
            self.counters["dropped"] += 1

    async def _lane(self, queue: "asyncio.Queue[tuple[str, dict[str, Any]]]") -> None:
        while True:
            url, event = await queue.get()
            await self._deliver(url, orjson.dumps(event))

    async def _deliver(self, url: str, body: bytes) -> None:
        assert self._client is not None
        for attempt in range(1, self.attempts + 1):
            try:
                status = await self._client.post(url, body, self._headers, self.timeout)
                if status == 200:
                    self.counters["posted"] += 1
                    return
                reason = f"HTTP {status}"
            except (HttpClientError, TimeoutError, ValueError) as exc:
                reason = repr(exc)
            if attempt < self.attempts:
                self.counters["retried"] += 1
                await asyncio.sleep(self.retry_delay * attempt)  # a back-off, not a poll
        self.counters["given_up"] += 1
        log.warning("%s: webhook given up after %d attempts: %s", self.name, self.attempts, reason)


__all__ = ["WebhookSender"]
