"""Batches the engine's changes into few store writes.

Every caller gets a future that resolves once the transaction holding its changes committed, so
"persist before acknowledging" costs one commit per batch, not per message: while one write is
in progress, new changes pile up and go together in the next one.
"""

import asyncio
from collections.abc import Sequence

from smsgate.store import Change, Store


class ChangeWriter:
    def __init__(self, store: Store, max_batch: int = 5000) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[Change] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    def add(self, changes: Sequence[Change]) -> "asyncio.Future[None]":
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.extend(changes)
        self._waiters.append(future)
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
        return future

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)

    async def _flush(self) -> None:
        try:
            while self._pending:
                # at most max_batch changes per write (the store refuses bigger ones); the
                # waiters are resolved with the last batch of their round
                batch, self._pending = (
                    self._pending[: self.max_batch],
                    self._pending[self.max_batch :],
                )
                if self._pending:
                    waiters: list[asyncio.Future[None]] = []
                else:
                    waiters, self._waiters = self._waiters, []
                try:
                    await self.store.write(batch)
                except Exception as exc:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                self.batches += 1
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            self._task = None
