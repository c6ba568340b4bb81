"""Which queued message goes next: priority first, then age; scheduled ones wait for their time.

Bounded: `has_room` tells the acceptor to push back (HTTP 503, ESME_RMSGQFUL) before the queue
grows past its limit. The queue holds ids only; the messages live in the engine's cache and,
above all, in the store, from which a restart rebuilds this queue.
"""

import asyncio
import heapq
import itertools


class Dispatcher:
    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._ready: list[tuple[int, int, str]] = []  # (-priority, arrival, message id)
        self._scheduled: list[tuple[float, int, str, int]] = []  # (due, arrival, id, priority)
        self._arrival = itertools.count()
        self._wakeup = asyncio.Event()

    def __len__(self) -> int:
        return len(self._ready) + len(self._scheduled)

    def has_room(self, count: int = 1) -> bool:
        return len(self) + count <= self.capacity

    def push(self, message_id: str, priority: int, due: float | None = None) -> None:
        """Queue a message; `due` in the future holds it until then."""
        if due is not None:
            heapq.heappush(self._scheduled, (due, next(self._arrival), message_id, priority))
        else:
            heapq.heappush(self._ready, (-priority, next(self._arrival), message_id))
        self._wakeup.set()

    def push_front(self, message_id: str, priority: int) -> None:
        """Put a message back ahead of its peers of the same priority (it was waiting already)."""
        heapq.heappush(self._ready, (-priority, -next(self._arrival), message_id))
        self._wakeup.set()

    def release_due(self, now: float) -> int:
        """Move scheduled messages whose time has come to the ready queue."""
        moved = 0
        while self._scheduled and self._scheduled[0][0] <= now:
            _, arrival, message_id, priority = heapq.heappop(self._scheduled)
            heapq.heappush(self._ready, (-priority, arrival, message_id))
            moved += 1
        return moved

    def next_due(self) -> float | None:
        return self._scheduled[0][0] if self._scheduled else None

    def pop(self) -> str | None:
        return heapq.heappop(self._ready)[2] if self._ready else None

    def remove_scheduled(self, message_id: str) -> bool:
        """Take a scheduled message out (canceled)."""
        for i, entry in enumerate(self._scheduled):
            if entry[2] == message_id:
                self._scheduled[i] = self._scheduled[-1]
                self._scheduled.pop()
                heapq.heapify(self._scheduled)
                return True
        return False

    def clear(self) -> None:
        """Forget every queued message (the store still holds them)."""
        self._ready.clear()
        self._scheduled.clear()

    def wake(self) -> None:
        """Make a waiting `wait` return (the clock was moved, say)."""
        self._wakeup.set()

    async def wait(self, timeout: float | None) -> None:
        """Until something is pushed, or the timeout passes."""
        self._wakeup.clear()
        if self._ready:
            return
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except TimeoutError:
            pass
