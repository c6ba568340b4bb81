"""The outbox items a node had claimed when it died go out from another node as soon as it is
taken over, not when their claims' lease ends (a minute by default)."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.store.postgres import PostgresStore
from tests.store.backends import StoreBackend, store_backend


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend("postgres", tmp_path) as chosen:
        yield chosen


def item(now: float) -> OutboxItem:
    subject = new_id()
    return OutboxItem(
        id=new_id(),
        channel="http",
        account_id="acct-1",
        subject_id=subject,
        event="delivered",
        payload={"id": subject, "status": "delivered"},
        created_at=now,
        next_attempt_at=now,
        url="https://client.example/cb",
    )


def test_a_dead_nodes_outbox_claims_are_due_again_at_its_takeover(pg: StoreBackend) -> None:
    async def body() -> None:
        async with (
            PostgresStore(pg.url, node_id="out-a") as a,
            PostgresStore(pg.url, node_id="out-b") as b,
        ):
            for store in (a, b):
                await store.register_node(store.node_id or "", "host", 1, "ready")
            now = time.time()
            owed = [item(now) for _ in range(3)]
            await a.write(owed)
            claimed = await a.claim_outbox("http", now, limit=10, lease=60)
            assert sorted(c.id for c in claimed) == sorted(o.id for o in owed)
            assert await b.claim_outbox("http", now, limit=10) == []
            # while a is alive its claims stand
            assert await b.release_outbox_claims("out-b", 10.0, now) == 0
            done = claimed[0]
            await a.outbox_done(done, now)  # settled: no longer anyone's claim
            # a is gone (or stopped beating): its pending claims are due at once for b
            await a.heartbeat("out-a", "gone")
            assert await b.release_outbox_claims("out-b", 10.0, now) == 2
            again = await b.claim_outbox("http", now, limit=10, lease=60)
            assert sorted(c.id for c in again) == sorted(o.id for o in owed if o.id != done.id)
            # b's own claims are b's: nothing to release
            assert await b.release_outbox_claims("out-b", 10.0, now) == 0

    asyncio.run(asyncio.wait_for(body(), 30))
