"""The `Store` interface the engine uses, and the group-commit front half both backends share.

`write` is the only way messages change. It returns once the transaction holding the caller's
changes has committed; meanwhile other callers' writes join the same transaction (group
commit): each backend has one writer that takes everything queued, commits it, then wakes
every caller in that batch. If a shared transaction fails, the writer replays each caller's
changes in a transaction of its own, so one caller's bad change (a duplicate client_ref) fails
that caller only.

The queries (`smsgate.store.reads`) are written once over a few primitives each backend
implements (`smsgate.store.reads.primitives`).
"""

import asyncio
import contextlib
from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Final, Self

from smsgate.store.batch import PendingWrite
from smsgate.store.changes import Change, checked
from smsgate.store.cluster import ClusterStore
from smsgate.store.errors import StoreClosedError
from smsgate.store.gate import WriteGate
from smsgate.store.paging import MAX_PAGE
from smsgate.store.reads.accounts import AccountReads
from smsgate.store.reads.cluster import ClusterState
from smsgate.store.reads.console import ConsoleReads
from smsgate.store.reads.inbound import InboundReads
from smsgate.store.reads.ledger import LedgerReads
from smsgate.store.reads.messages import MessageReads
from smsgate.store.reads.outbox import OutboxReads
from smsgate.store.reads.submitted import SubmittedReads
from smsgate.store.reads.tables import RoutingTables

__all__ = ["MAX_PAGE", "Change", "Store"]

DEFAULT_MAX_PENDING: Final = 100_000  # changes queued or in flight
DEFAULT_QUEUE_WAIT: Final = 5.0  # seconds a write may wait for room before StoreBusyError
DEFAULT_MAX_BATCH: Final = 5_000  # changes per shared transaction


class Store(
    MessageReads,
    AccountReads,
    RoutingTables,
    OutboxReads,
    InboundReads,
    LedgerReads,
    SubmittedReads,
    ConsoleReads,
    ClusterState,
    ClusterStore,
):
    """Messages, accounts, inbound messages and routing configuration, durably.

    Open it (or use `async with`) on the event loop that will use it; it belongs to that loop.
    """

    def __init__(self, *, max_pending: int, queue_wait: float, max_batch: int) -> None:
        # transactions: committed write transactions; writes: `write` calls committed;
        # changes: changes committed; largest_batch: most calls in one transaction;
        # fallbacks: shared transactions that failed and were replayed call by call
        self.stats: dict[str, int] = {
            "transactions": 0,
            "writes": 0,
            "changes": 0,
            "largest_batch": 0,
            "fallbacks": 0,
        }
        self._gate = WriteGate(max_pending, queue_wait)
        self._max_batch = max_batch
        self._accepting = False

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def pending(self) -> int:
        """Changes queued or being committed; the engine may shed load before the gate does."""
        return self._gate.used

    async def write(self, changes: Sequence[Change]) -> None:
        """Persist `changes` in one transaction; returns once it committed.

        Waits (up to queue_wait) for room when the queue is full, then raises StoreBusyError.
        Cancelling the caller does not withdraw changes already queued.
        """
        futures = await self.enqueue([changes])
        if futures:
            await futures[0]

    async def enqueue(
        self,
        groups: Sequence[Sequence[Change]],
        futures: Sequence["asyncio.Future[None]"] | None = None,
    ) -> list["asyncio.Future[None]"]:
        """Queue several writes at once, in order, and return without waiting for the commit:
        one future per non-empty group, resolved once that group committed (or failed: a group
        is only ever refused for its own changes, and later groups never commit before it).
        A caller may pass the futures, one per group (empty groups included, resolved in their
        turn), to save relaying from the store's own.

        Waits (up to queue_wait) for room when the queue is full, then raises StoreBusyError.
        """
        pairs: list[tuple[list[Change], asyncio.Future[None] | None]]
        if futures is None:
            pairs = [(batch, None) for batch in map(checked, groups) if batch]
        else:
            pairs = list(zip(map(checked, groups), futures, strict=True))
        if not pairs:
            return []
        if not self._accepting:
            raise StoreClosedError("the store is not open")
        size = sum(len(batch) for batch, _ in pairs)
        await self._gate.enter(size)
        if not self._accepting:  # closed while this write waited for room
            self._gate.leave(size)
            raise StoreClosedError("the store is closing")
        loop = asyncio.get_running_loop()
        items = [PendingWrite(batch, future or loop.create_future()) for batch, future in pairs]
        self._enqueue(items)
        return [item.future for item in items]

    def _settle(
        self, batch: Sequence[PendingWrite], outcomes: Sequence[BaseException | None]
    ) -> None:
        """On the event loop: give the room back and wake the callers of a finished batch."""
        for item, error in zip(batch, outcomes, strict=True):
            self._gate.leave(len(item.changes))
            if item.future.done():  # the caller was cancelled; its changes were still written
                continue
            if error is None:
                item.future.set_result(None)
            else:
                item.future.set_exception(error)

    def _count(self, batch: Sequence[PendingWrite], transactions: int) -> None:
        self.stats["transactions"] += transactions
        self.stats["writes"] += len(batch)
        self.stats["changes"] += sum(len(item.changes) for item in batch)
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(batch))

    async def tidy_queues(self) -> int:
        """Reclaim what settled queue rows left behind where the backend needs it done
        (PostgreSQL: a busy outbox); how many dead rows there were, 0 when nothing was done.
        SQLite rewrites a row in place: nothing to do."""
        return 0

    @contextlib.asynccontextmanager
    async def job_lock(self, name: str) -> AsyncIterator[bool]:
        """Whether this process may run the job `name` now, held until the block ends, so that
        one node at a time runs it. One SQLite file has one process: always True here."""
        yield True

    @contextlib.asynccontextmanager
    async def setup_lock(self) -> AsyncIterator[None]:
        """Held while a starting node writes what its configuration file seeds (routes,
        connectors, carrier prefixes, the demo account): nodes starting at once take turns,
        so that each finds what the one before wrote. One SQLite file has one process."""
        yield

    @abstractmethod
    def _enqueue(self, items: Sequence[PendingWrite]) -> None:
        """Hand writes to the backend's writer, in order (on the event loop thread)."""

    # lifecycle

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (unless built with auto_migrate=False)."""

    @abstractmethod
    async def close(self) -> None:
        """Refuse new writes, commit every queued one, then disconnect."""

    @abstractmethod
    async def migrate(self, target: int | None = None) -> int:
        """Apply the missing migrations up to `target` (default: all); returns the version."""

    @abstractmethod
    async def schema_version(self) -> int: ...
