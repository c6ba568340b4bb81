"""Batches the engine's changes into few store writes.

Every caller gets a future that resolves once the transaction holding its changes committed, so
"persist before acknowledging" costs one commit per batch, not per message. The changes added
during one turn of the event loop are handed to the store together (one wake-up of its writer)
without waiting for earlier ones to commit: the store commits them in order, many callers per
transaction, and if a shared transaction fails (one caller's change breaks a constraint) it
writes each caller's changes again on their own, before anything queued later, so only that
caller gets the error and no update overtakes another.
"""

import asyncio
import logging
from collections.abc import Awaitable, Sequence

from smsgate.domain.errors import GatewayError
from smsgate.store import (
    Change,
    IntegrityError,
    Store,
    StoreBusyError,
    StoreClosedError,
    StoreFencedError,
    StoreFullError,
)

log = logging.getLogger(__name__)


class ChangeWriter:
    def __init__(self, store: Store, max_batch: int = 5000) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[list[Change], asyncio.Future[None]]] = []
        self._backlog = 0
        self._task: asyncio.Task[None] | None = None
        # the store settles writes in the order it got them: the last one handed over is the
        # last to wait for
        self._last: asyncio.Future[None] | None = None
        self.batches = 0
        # the loop of the first add, kept: asking asyncio for the running loop costs a getpid()
        # system call (Python 3.11's check against a fork), and add() runs for every change
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, changes: Sequence[Change]) -> "asyncio.Future[None]":
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append((list(changes), future))
        self._backlog += len(changes)
        if self._task is None:
            self._task = loop.create_task(self._flush())
        return future

    @property
    def backlog(self) -> int:
        return self._backlog

    async def drain(self) -> None:
        """Wait until everything added so far is committed (or failed)."""
        while self._task is not None or (self._last is not None and not self._last.done()):
            if self._task is not None:
                await asyncio.shield(self._task)
            elif self._last is not None:
                await asyncio.wait([self._last])

    def _take(self) -> list[tuple[list[Change], asyncio.Future[None]]]:
        """Whole callers' changes, up to max_batch changes (at least one caller)."""
        taken, size = 0, 0
        for changes, _ in self._pending:
            if taken and size + len(changes) > self.max_batch:
                break
            taken += 1
            size += len(changes)
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        self._backlog -= size
        return batch

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._take()
                futures = [future for _, future in batch]
                try:
                    # the store resolves the callers' own futures
                    await self.store.enqueue([changes for changes, _ in batch], futures)
                except Exception as error:  # no room in the store's queue, or it is closed
                    for future in futures:
                        _settle(future, error)
                    continue
                self.batches += 1
                self._last = futures[-1]
        finally:
            self._task = None


def _settle(future: "asyncio.Future[None]", error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


async def committed(write: Awaitable[None]) -> None:
    """Wait for a write; the store's refusals come out as the catalog's (the answer an
    interface gives): busy or full as queue_full; closed, fenced or unreachable as unavailable (503:
    nothing was stored, the client may send again). A constraint's error comes out as it is."""
    try:
        await write
    except StoreBusyError:
        raise GatewayError("queue_full", "the store is busy") from None
    except StoreFullError:
        # nothing was written: the client may retry once an operator made room
        raise GatewayError("queue_full", "the database is full") from None
    except (StoreClosedError, StoreFencedError):
        raise GatewayError("unavailable") from None
    except (IntegrityError, GatewayError):
        raise
    except Exception as error:  # the database is unreachable or restarting
        log.warning("a write was not committed: %r", error)
        raise GatewayError("unavailable", "the store could not be written") from None
