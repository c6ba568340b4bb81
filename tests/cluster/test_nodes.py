"""Several nodes on one PostgreSQL, in one process: one bind per connector lease for the
cluster, a drain handing the bind over at once, a message accepted where the bind is not
delivered through the node that holds it, messages left by a node taken over by another."""

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.gateway import Gateway
from smsgate.engine.stopped_connector import StoppedConnector
from tests.cluster.rig import CONNECTOR, carrier, eventually, node, prepare, send, statuses
from tests.store.backends import store_backend

TTL = 1.5  # seconds of a lease: short, so that the takeovers here take a few seconds at most
TIMEOUT = 30.0


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with store_backend("postgres", tmp_path) as backend:
        yield backend.url


def test_one_node_holds_the_bind_and_a_drain_hands_it_over_at_once(url: str) -> None:
    async def main() -> None:
        account = await prepare(url)
        async with (
            asyncio.timeout(TIMEOUT),
            carrier() as sim,
            node(url, "core-a", sim.config.port, TTL) as a,
        ):
            await eventually(lambda: sim.bound == 1, TTL)
            async with node(url, "core-b", sim.config.port, TTL) as b:
                assert a.node.held == {CONNECTOR} and b.node.held == set()
                assert isinstance(b.connectors[CONNECTOR], StoppedConnector)
                assert b.node.remote == {CONNECTOR: "core-a"}
                await asyncio.sleep(TTL)  # renewals: still one bind
                assert sim.bound == 1 and a.node.held == {CONNECTOR}
                sent = [await send(a, account, f"before {i}") for i in range(3)]
                # a drain: the lease released and the others told, not left to expire
                await a.node.drain()
                await a.stop(0.5)
                took = await eventually(lambda: b.node.held == {CONNECTOR}, TTL)
                await eventually(lambda: b.connectors[CONNECTOR].is_up, TTL)
                assert took < 0.6 * TTL, took  # not left to expire
                assert b.node.counters.notifications.get("released", 0) >= 1
                assert b.node.counters.leases_acquired == 1
                assert a.node.counters.leases_released == 1
                after = [await send(b, account, f"after {i}") for i in range(3)]
                ids = [m.id for m in sent + after]
                await eventually_delivered(b, ids)
                assert sim.most_bound == 1  # never two binds of the login at once

    asyncio.run(main())


async def eventually_delivered(gateway: Gateway, ids: list[str], timeout: float = 10.0) -> None:
    async def done() -> None:
        while await statuses(gateway.store, ids) != [Status.DELIVERED] * len(ids):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(done(), timeout)


def test_a_message_accepted_where_the_bind_is_not_goes_out_through_its_holder(url: str) -> None:
    async def main() -> None:
        account = await prepare(url)
        async with (
            asyncio.timeout(TIMEOUT),
            carrier() as sim,
            node(url, "core-a", sim.config.port, TTL) as a,
            node(url, "core-b", sim.config.port, TTL) as b,
        ):
            await eventually(lambda: a.connectors[CONNECTOR].is_up, TTL)
            sent = [await send(b, account, f"via a {i}") for i in range(5)]
            await eventually_delivered(a, [m.id for m in sent])
            assert b.node.counters.messages_handed_over == 5
            assert a.node.counters.messages_handed_in == 5
            assert all(m.id not in b.live for m in sent)  # forgotten where handed over
            assert sim.counters["submitted"] == 5 and sim.counters["duplicates"] == 0
            assert sim.most_bound == 1

    asyncio.run(main())


def test_the_messages_of_a_node_that_stops_renewing_are_taken_over_within_the_lease(
    url: str,
) -> None:
    async def main() -> None:
        account = await prepare(url)
        async with (
            asyncio.timeout(TIMEOUT),
            carrier() as sim,
            node(url, "core-b", sim.config.port, TTL) as b,
        ):
            await eventually(lambda: b.connectors[CONNECTOR].is_up, TTL)
            async with node(url, "core-a", sim.config.port, TTL) as a:
                # core-a stops dispatching and heartbeating (as a hung process would),
                # with messages it owns queued
                await a.dispatch.stop()
                task = a.node._task
                assert task is not None
                task.cancel()
                sent = [await send(a, account, f"stuck {i}") for i in range(4)]
                took = await eventually(lambda: b.node.counters.messages_taken_over == 4, 3 * TTL)
                assert took < TTL + TTL / 3 + 0.5, took
                await eventually_delivered(b, [m.id for m in sent])
                assert sim.counters["duplicates"] == 0

    asyncio.run(main())


def test_outbox_items_for_customers_bound_elsewhere_wake_the_other_nodes(url: str) -> None:
    woken = {"core-a": 0, "core-b": 0}

    def waker(name: str) -> Callable[[], None]:
        def wake() -> None:
            woken[name] += 1

        return wake

    def item(channel: str) -> OutboxItem:
        return OutboxItem(new_id(), channel, "acc", "msg", "delivered", {}, 0.0, 0.0)

    async def main() -> None:
        async with (
            asyncio.timeout(TIMEOUT),
            carrier() as sim,
            node(url, "core-a", sim.config.port, TTL, (waker("core-a"),)) as a,
            node(url, "core-b", sim.config.port, TTL, (waker("core-b"),)),
        ):
            for _ in range(5):  # written at once: one notification
                a.node.outbox_written(item("smpp"))
            await eventually(lambda: woken["core-b"] == 1, 2.0)
            a.node.outbox_written(item("http"))  # any node's consumer claims callbacks
            await asyncio.sleep(0.2)
            assert woken == {"core-a": 0, "core-b": 1}

    asyncio.run(main())
