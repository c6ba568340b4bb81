"""Back-pressure for the write queue.

The gate counts the changes queued or in flight. A write that does not fit waits, in arrival
order, for earlier writes to commit; if no room comes within `wait` seconds it fails with
StoreBusyError, which the engine turns into "queue full, retry later". So a burst is absorbed,
while a store that cannot keep up is reported instead of piling up memory without bound.
"""

import asyncio
from collections import deque

from smsgate.store.errors import StoreBusyError


class WriteGate:
    def __init__(self, limit: int, wait: float) -> None:
        if limit < 1:
            raise ValueError("the write queue limit must be at least 1")
        self.limit = limit
        self.wait = wait
        self.used = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def enter(self, size: int) -> None:
        """Take room for `size` changes; must be given back with `leave` once they committed."""
        if size > self.limit:
            raise ValueError(f"a write of {size} changes exceeds the queue limit {self.limit}")
        if not self._waiters and self.used + size <= self.limit:
            self.used += size
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((size, waiter))
        try:
            async with asyncio.timeout(self.wait):
                await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return  # admitted just as the time ran out: the room is ours
            raise StoreBusyError(
                f"the store's write queue stayed full ({self.used} of {self.limit} changes) "
                f"for {self.wait:g} s"
            ) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.leave(size)  # admitted, then the caller was cancelled: give the room back
            raise
        finally:
            self._admit()  # a waiter that gave up may have been holding up smaller ones

    def leave(self, size: int) -> None:
        self.used -= size
        self._admit()

    def _admit(self) -> None:
        while self._waiters:
            size, waiter = self._waiters[0]
            if waiter.done():  # gave up (cancelled by its timeout)
                self._waiters.popleft()
                continue
            if self.used + size > self.limit:
                return
            self._waiters.popleft()
            self.used += size
            waiter.set_result(None)
