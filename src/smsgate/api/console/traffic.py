"""Traffic per minute for the dashboard: accepted and sent from the engine's counters, sampled
every few seconds, delivered and failed from the committed final statuses (whatever word a
channel's receipts use), into a ring of the last hour's minutes, so a chart costs no read of
the store."""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from smsgate.domain.message import Message
from smsgate.domain.status import FINAL, Status
from smsgate.engine.counters import Counters

MINUTES: Final = 60
SAMPLE_EVERY: Final = 5.0  # seconds
TASK_NAME: Final = "smsgate-console-traffic"


@dataclass
class Minute:
    start: float  # Unix seconds, a multiple of 60
    accepted: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0


def _totals(counters: Counters) -> tuple[int, int]:
    return (counters.accepted, counters.submitted)


class TrafficSampler:
    def __init__(self, counters: Counters, clock: Callable[[], float] = time.time) -> None:
        self.counters = counters
        self.clock = clock
        self.minutes: deque[Minute] = deque(maxlen=MINUTES)
        self._last = _totals(counters)
        self._task: asyncio.Task[None] | None = None

    def _minute(self, now: float) -> Minute:
        start = now - now % 60
        if not self.minutes or self.minutes[-1].start < start:
            self.minutes.append(Minute(start))
        return self.minutes[-1]

    def sample(self, now: float | None = None) -> None:
        """Add what the counters gained since the last sample to the current minute."""
        minute = self._minute(self.clock() if now is None else now)
        totals = _totals(self.counters)
        gained = [max(0, t - last) for t, last in zip(totals, self._last, strict=True)]
        self._last = totals
        minute.accepted += gained[0]
        minute.sent += gained[1]

    def on_status(self, message: Message, status: Status) -> None:
        """A status listener of the gateway: counts the messages that ended."""
        if status in FINAL and status is not Status.CANCELED:
            minute = self._minute(self.clock())
            if status is Status.DELIVERED:
                minute.delivered += 1
            else:
                minute.failed += 1

    def ensure_running(self) -> None:
        """Sample in the background from the first dashboard view on (started lazily: the
        console is mounted in an app whose start-up it does not own)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=TASK_NAME)

    async def stop(self) -> None:
        """Cancel the background sampling and wait for it to end (the gateway stops)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                self.sample()
                await asyncio.sleep(SAMPLE_EVERY)

    def series(self, now: float | None = None) -> list[Minute]:
        """The last MINUTES minutes, oldest first, with the minutes nothing happened in."""
        self.sample(now)
        latest = self.minutes[-1].start
        by_start = {m.start: m for m in self.minutes}
        return [
            by_start.get(latest - 60 * i, Minute(latest - 60 * i))
            for i in range(MINUTES - 1, -1, -1)
        ]
