"""Group commit, failure isolation inside a shared transaction, back-pressure and draining."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from smsgate.domain.status import Status
from smsgate.store import (
    DuplicateError,
    IntegrityError,
    MessageUpdate,
    Store,
    StoreBusyError,
    StoreClosedError,
)
from tests.store.backends import StoreBackend
from tests.store.factories import new_message


def test_concurrent_writes_share_transactions(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        async def write_then_read(index: int) -> None:
            message = new_message(parts=1 + index % 3)
            await s.write([message])
            # acknowledged means committed: any reader sees it at once
            assert await s.get_message(message.id) == message

        before = dict(s.stats)
        await asyncio.gather(*(write_then_read(i) for i in range(500)))
        transactions = s.stats["transactions"] - before["transactions"]
        assert s.stats["writes"] - before["writes"] == 500
        assert 1 <= transactions <= 50, transactions
        assert s.stats["largest_batch"] >= 10
        assert await s.count_messages("acct-1") == 500

    store.run(body)


def test_a_bad_write_fails_alone_in_a_shared_transaction(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        await s.write([new_message(client_ref="taken")])
        good = [new_message() for _ in range(40)]
        duplicate = new_message(client_ref="taken")
        orphan = MessageUpdate("f" * 32, Status.SENT, 1.0)
        results = await asyncio.gather(
            *(s.write([m]) for m in good[:20]),
            s.write([duplicate]),
            s.write([orphan]),
            *(s.write([m]) for m in good[20:]),
            return_exceptions=True,
        )
        assert isinstance(results[20], DuplicateError)
        assert isinstance(results[21], IntegrityError)
        assert [r for i, r in enumerate(results) if i not in (20, 21)] == [None] * 40
        assert s.stats["fallbacks"] >= 1
        for message in good:
            assert await s.get_message(message.id) == message
        assert await s.get_message(duplicate.id) is None

    store.run(body)


def test_close_commits_every_queued_write(store: StoreBackend) -> None:
    messages = [new_message() for _ in range(200)]

    async def main() -> None:
        async with asyncio.timeout(30):
            s = store.make()
            await s.open()
            tasks = [asyncio.create_task(s.write([m])) for m in messages]
            await asyncio.sleep(0)  # one loop turn: every task has queued its write
            assert s.pending > 0
            await s.close()
            await asyncio.gather(*tasks)  # all acknowledged, none refused
            with pytest.raises(StoreClosedError):
                await s.write([new_message()])
            async with store.make() as again:
                assert await again.count_messages("acct-1") == 200

    asyncio.run(main())


@asynccontextmanager
async def writes_stalled(backend: StoreBackend) -> AsyncIterator[None]:
    """Holds the database's write lock from another connection, so the store's writer
    blocks inside its transaction until the block ends."""
    if backend.name == "sqlite":
        conn = sqlite3.connect(backend.url, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    pg = await asyncpg.connect(backend.url)
    try:
        transaction = pg.transaction()
        await transaction.start()
        await pg.execute("LOCK TABLE messages IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await pg.close()


def test_a_full_queue_makes_writers_wait_then_refuses(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        async with writes_stalled(store):
            queued = [asyncio.create_task(s.write([new_message()])) for _ in range(10)]
            await asyncio.sleep(0)  # one loop turn: all ten took their room and queued
            assert s.pending == 10
            with pytest.raises(StoreBusyError, match="stayed full"):
                await s.write([new_message()])  # waits queue_wait, then gives up
            waiting = asyncio.create_task(s.write([new_message()]))
            await asyncio.sleep(0)
            assert not waiting.done()
            assert not any(task.done() for task in queued)
        # the lock is gone: the queue drains and the waiting write gets its turn
        await asyncio.gather(*queued, waiting)
        assert s.pending == 0
        assert await s.count_messages("acct-1") == 11
        with pytest.raises(ValueError, match="exceeds the queue limit"):
            await s.write([new_message() for _ in range(11)])

    store.run(body, max_pending=10, queue_wait=0.3)


def test_a_database_error_fails_the_batch_without_replaying_it(tmp_path: Path) -> None:
    backend = StoreBackend("sqlite", str(tmp_path / "locked.db"))

    async def body(s: Store) -> None:
        async with writes_stalled(backend):
            results = await asyncio.gather(
                *(s.write([new_message()]) for _ in range(20)), return_exceptions=True
            )
        assert all(isinstance(r, sqlite3.OperationalError) for r in results), results
        assert "locked" in str(results[0])
        assert s.stats["fallbacks"] == 0
        assert s.pending == 0
        await s.write([new_message()])  # the lock is gone: writes work again
        assert await s.count_messages("acct-1") == 1

    backend.run(body, busy_timeout=0.05)
