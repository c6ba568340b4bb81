"""`Store.tidy_queues`: PostgreSQL vacuums a churned outbox (claims and settles leave dead row
versions that each claim's index scan walks past); SQLite has nothing to do."""

import asyncio
import time
from pathlib import Path

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.store import OutboxUpdate, Store
from smsgate.store.postgres.store import QUEUE_DEAD_ROWS
from tests.store.backends import store_backend


def _items(count: int, now: float) -> list[OutboxItem]:
    return [
        OutboxItem(new_id(), "http", "acc", new_id(), "inbound", {}, now, now, url="http://x")
        for _ in range(count)
    ]


async def _churn(store: Store, count: int) -> None:
    """`count` items written, claimed and settled: two dead versions each on PostgreSQL."""
    await store.write(_items(count, time.time()))
    while claimed := await store.claim_outbox("http", time.time(), limit=500):
        await store.write([OutboxUpdate(i.id, OutboxState.DONE, time.time(), 1) for i in claimed])


def test_a_churned_outbox_is_vacuumed_on_postgres(tmp_path: Path) -> None:
    with store_backend("postgres", tmp_path) as backend:

        async def body(store: Store) -> None:
            assert await store.tidy_queues() == 0  # nothing dead yet
            await _churn(store, QUEUE_DEAD_ROWS)
            dead = 0
            for _ in range(100):  # the server's statistics follow within a second or so
                if dead := await store.tidy_queues():
                    break
                await asyncio.sleep(0.1)
            assert dead >= QUEUE_DEAD_ROWS
            (left,) = await backend.fetch(
                "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'outbox'::regclass"
            )
            assert left[0] < QUEUE_DEAD_ROWS  # reclaimed
            assert await store.claim_outbox("http", time.time()) == []

        backend.run(body)


def test_sqlite_has_nothing_to_tidy(tmp_path: Path) -> None:
    with store_backend("sqlite", tmp_path) as backend:

        async def body(store: Store) -> None:
            await _churn(store, 100)
            assert await store.tidy_queues() == 0

        backend.run(body)
