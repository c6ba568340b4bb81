"""A channel connector's rate holds for the cluster: every node runs the connector, and their
pacers take its tokens from one bucket in PostgreSQL."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.connectors.sending import Pacer, StopSignal
from smsgate.engine.clock import SystemClock
from smsgate.engine.shared_rate import SharedRates
from smsgate.store.postgres import PostgresStore
from tests.store.backends import StoreBackend, store_backend


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend("postgres", tmp_path) as chosen:
        yield chosen


def test_two_nodes_pacing_one_connector_send_at_its_rate_together(pg: StoreBackend) -> None:
    rate, seconds = 20.0, 1.5

    async def node(store: PostgresStore, deadline: float) -> int:
        """One node's pacer for the connector "viber": how many sends it let out."""
        pacer = Pacer(StopSignal(), rate, throttle_pause=1.0, pause_max=1.0)
        pacer.share(SharedRates(store, SystemClock()), "connector:viber")
        pacer.start()
        sent = 0
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(pacer.pace(), left)
            except TimeoutError:
                break
            sent += 1
        return sent

    async def body() -> None:
        async with PostgresStore(pg.url) as one, PostgresStore(pg.url) as two:
            deadline = time.monotonic() + seconds
            counts = await asyncio.gather(node(one, deadline), node(two, deadline))
        # one second's burst, the rate over the time, one slice (0.1 s) unspent per node at
        # most; each node alone would have let out about twice as many
        assert rate * seconds <= sum(counts) <= rate + rate * seconds + 2 * rate * 0.1, counts
        assert all(counts), counts

    asyncio.run(asyncio.wait_for(body(), 30))
