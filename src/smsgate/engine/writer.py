"""Batches the engine's changes into few store writes.

Every caller gets a future that resolves once the transaction holding its changes committed, so
"persist before acknowledging" costs one commit per batch, not per message: while one write is
in progress, new changes pile up and go together in the next one. If a shared write fails (one
caller's change breaks a constraint), each caller's changes are written again on their own, so
only that caller gets the error.
"""

import asyncio
from collections.abc import Sequence

from smsgate.store import Change, Store


class ChangeWriter:
    def __init__(self, store: Store, max_batch: int = 5000) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[list[Change], asyncio.Future[None]]] = []
        self._backlog = 0
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    def add(self, changes: Sequence[Change]) -> "asyncio.Future[None]":
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((list(changes), future))
        self._backlog += len(changes)
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
        return future

    @property
    def backlog(self) -> int:
        return self._backlog

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)

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
                try:
                    await self.store.write([c for changes, _ in batch for c in changes])
                except Exception as error:
                    if len(batch) == 1:
                        _settle(batch[0][1], error)
                    else:
                        for changes, future in batch:
                            try:
                                await self.store.write(changes)
                            except Exception as own:
                                _settle(future, own)
                            else:
                                _settle(future, None)
                    continue
                self.batches += 1
                for _, future in batch:
                    _settle(future, None)
        finally:
            self._task = None


def _settle(future: "asyncio.Future[None]", error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
