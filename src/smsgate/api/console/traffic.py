"""Traffic per minute for the dashboard, from the engine's counters: sampled every few seconds
into a ring of the last hour's minutes, so a chart costs no read of the store."""

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import Final

from smsgate.engine.counters import Counters

MINUTES: Final = 60
SAMPLE_EVERY: Final = 5.0  # seconds


@dataclass
class Minute:
    start: float  # Unix seconds, a multiple of 60
    accepted: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0


def _totals(counters: Counters) -> tuple[int, int, int, int]:
    receipts = counters.receipts
    delivered = receipts.get("DELIVRD", 0)
    undelivered = sum(n for state, n in receipts.items() if state != "DELIVRD")
    return (counters.accepted, counters.submitted, delivered, counters.failed + undelivered)


class TrafficSampler:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.minutes: deque[Minute] = deque(maxlen=MINUTES)
        self._last = _totals(counters)
        self._task: asyncio.Task[None] | None = None

    def sample(self, now: float | None = None) -> None:
        """Add what the counters gained since the last sample to the current minute."""
        now = time.time() if now is None else now
        start = now - now % 60
        if not self.minutes or self.minutes[-1].start < start:
            self.minutes.append(Minute(start))
        totals = _totals(self.counters)
        gained = [max(0, t - last) for t, last in zip(totals, self._last, strict=True)]
        self._last = totals
        minute = self.minutes[-1]
        minute.accepted += gained[0]
        minute.sent += gained[1]
        minute.delivered += gained[2]
        minute.failed += gained[3]

    def ensure_running(self) -> None:
        """Sample in the background from the first dashboard view on (started lazily: the
        console is mounted in an app whose start-up it does not own)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

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
