"""The SQLite store's end of the socket to its writer process (`smsgate.store.sqlite.writer`):
requests out, answers back in the same order."""

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol, cast

from smsgate.store.batch import PendingWrite
from smsgate.store.errors import StoreClosedError, StoreError
from smsgate.store.sqlite.wire import JOB, WRITES, encode_groups, error_in, frame, unframe

JobResult = tuple[list[Any], int]
Step = tuple[bool, str, Any]  # (executemany?, query, parameters)


class LinkOwner(Protocol):
    """What the link reports to its store (SqliteStore)."""

    def _settle(
        self, batch: Sequence[PendingWrite], outcomes: Sequence[BaseException | None]
    ) -> None: ...

    def _answered(
        self, batch: Sequence[PendingWrite], fallback: bool, outcomes: list[BaseException | None]
    ) -> None: ...

    def _writer_gone(self) -> None: ...


class WriterLink(asyncio.Protocol):
    """The store's end of the socket to its writer process: requests out, answers back in the
    same order."""

    def __init__(self, store: LinkOwner) -> None:
        self._store = store
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.BaseTransport | None = None
        self._buffer = bytearray()
        self._outgoing: list[bytes] = []  # frames of this turn of the loop, written together
        self._waiting: deque[PendingWrite | asyncio.Future[JobResult]] = deque()
        self._drained: asyncio.Future[None] | None = None
        self._lost = False
        self.ready: asyncio.Future[None] = self._loop.create_future()
        self.closed: asyncio.Future[None] = self._loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def _write(self, payload: Any) -> None:
        # one write (a system call) per turn of the event loop, however many callers wrote
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(frame(payload))

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if outgoing and not self._lost:
            # uvloop's transports are not registered as asyncio.WriteTransport
            cast(asyncio.WriteTransport, self._transport).write(b"".join(outgoing))

    def send_writes(self, items: Sequence[PendingWrite]) -> None:
        if self._lost:
            self._store._settle(items, [_gone()] * len(items))
            return
        self._waiting.extend(items)
        self._outgoing.append(frame((WRITES, encode_groups([item.changes for item in items]))))
        # writes leave at once (after any job queued before them): the engine's ChangeWriter
        # already hands a turn's changes over in one call, and waiting for the end of the
        # turn would put one more turn of the loop into every acknowledgement's latency
        self._flush()

    def send_job(self, transaction: bool, steps: Sequence[Step]) -> asyncio.Future[JobResult]:
        if self._lost:
            raise _gone()
        future: asyncio.Future[JobResult] = self._loop.create_future()
        self._waiting.append(future)
        self._write((JOB, transaction, list(steps)))
        return future

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        for answer in unframe(self._buffer):
            kind = answer[0]
            if kind == WRITES:
                _, fallback, outcomes = answer
                batch = [cast(PendingWrite, self._waiting.popleft()) for _ in outcomes]
                errors = [None if sent is None else error_in(sent) for sent in outcomes]
                self._store._answered(batch, fallback, errors)
            elif kind == JOB:
                _, error, rows, count = answer
                future = cast("asyncio.Future[JobResult]", self._waiting.popleft())
                if future.done():  # its caller was cancelled
                    continue
                if error is None:
                    future.set_result((rows, count))
                else:
                    future.set_exception(error_in(error))
            elif not self.ready.done():  # READY
                if answer[1] is None:
                    self.ready.set_result(None)
                else:
                    self.ready.set_exception(error_in(answer[1]))
        if not self._waiting and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._store._writer_gone()
        if not self.ready.done():
            self.ready.set_exception(StoreError("the store's writer ended before it was ready"))
        waiting, self._waiting = list(self._waiting), deque()
        writes = [item for item in waiting if isinstance(item, PendingWrite)]
        if writes:
            self._store._settle(writes, [_gone()] * len(writes))
        for item in waiting:
            if isinstance(item, asyncio.Future) and not item.done():
                item.set_exception(_gone())
        for future in (self._drained, self.closed):
            if future is not None and not future.done():
                future.set_result(None)

    async def finish(self) -> None:
        """Once every request has its answer, close: the writer ends with its socket."""
        if self._waiting and not self._lost:
            self._drained = self._loop.create_future()
            await self._drained
        assert self._transport is not None
        self._transport.close()
        await self.closed


def _gone() -> StoreClosedError:
    return StoreClosedError("the store's writer stopped")
