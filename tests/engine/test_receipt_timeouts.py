"""The receipt timeout job over the store on both backends: which parts it gives up, in pages,
and, with two nodes on one database, each part once."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.store import Store
from tests.store.backends import BACKENDS, StoreBackend, store_backend
from tests.store.factories import new_account, new_message

TIMEOUT = 3600.0


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def sent(account_id: str, valid_until: float, connector: str = "c1", parts: int = 1) -> Message:
    """A message the carrier accepted through `connector`, its validity ending at `valid_until`."""
    message = new_message(account_id, parts=parts, status=Status.SENT)
    message.valid_until = valid_until
    for part in message.parts:
        part.connector_id = connector
        part.upstream_id = f"{message.id}-{part.seq}"
        part.submitted_at = valid_until - 600
    return message


async def node(store: Store, clock: ManualClock, batch: int = 500) -> Gateway:
    gateway = Gateway(
        store, await EngineRouter.load(store), {}, clock=clock, receipt_timeouts={"c1": TIMEOUT}
    )
    gateway.receipt_timeouts.batch = batch
    return gateway


def test_parts_still_sent_past_the_timeout_end_expired(backend: StoreBackend) -> None:
    async def body(s: Store) -> None:
        clock = ManualClock()
        account = new_account()
        await s.create_account(account)
        ended = clock.now - TIMEOUT - 1
        due = [sent(account.id, ended) for _ in range(3)]
        half = sent(account.id, ended, parts=2)  # part 1 delivered, part 2 still waiting
        half.parts[0].status = Status.DELIVERED
        recent = sent(account.id, clock.now - TIMEOUT + 60)  # 60 s to go
        other = sent(account.id, ended, connector="c2")  # a connector without a timeout
        await s.write([*due, half, recent, other])
        gateway = await node(s, clock, batch=2)  # pages of 2

        assert await gateway.receipt_timeouts.run_once() == 4
        await gateway.writer.drain()
        for message in [*due, half]:
            stored = await s.get_message(message.id)
            assert stored is not None and stored.status is Status.EXPIRED, message.id
            assert stored.error_code == "expired"
        stored_half = await s.get_message(half.id)
        assert stored_half is not None
        assert [p.status for p in stored_half.parts] == [Status.DELIVERED, Status.EXPIRED]
        for message in (recent, other):
            stored = await s.get_message(message.id)
            assert stored is not None and stored.status is Status.SENT
        items, _ = await s.list_outbox(account.id, subject_id=due[0].id)
        assert [i.event for i in items] == ["expired"]
        clock.advance(61)
        assert await gateway.receipt_timeouts.run_once() == 1  # `recent` now
        assert await gateway.receipt_timeouts.run_once() == 0

    backend.run(body)


def test_two_nodes_give_each_part_up_once(backend: StoreBackend) -> None:
    async def body(s: Store) -> None:
        clock = ManualClock()
        account = new_account()
        await s.create_account(account)
        messages = [sent(account.id, clock.now - TIMEOUT - 1) for _ in range(5)]
        await s.write(messages)
        other_store = backend.make()
        await other_store.open()
        try:
            first, second = await node(s, clock), await node(other_store, clock)
            for gateway, store in ((first, s), (second, other_store)):
                for message in messages:  # each node has them in memory, still sent
                    copy = await store.get_message(message.id)
                    assert copy is not None
                    gateway.live.remember(copy)
            jobs = (first.receipt_timeouts.run_once(), second.receipt_timeouts.run_once())
            if backend.name == "postgres":  # nodes run at the same time
                counts = list(await asyncio.gather(*jobs))
            else:  # one SQLite file has one process: one after the other
                counts = [await jobs[0], await jobs[1]]
            await first.writer.drain()
            await second.writer.drain()
            assert sum(counts) == 5
            assert await first.receipt_timeouts.run_once() == 0
            assert await second.receipt_timeouts.run_once() == 0
            for message in messages:
                items, _ = await s.list_outbox(account.id, subject_id=message.id)
                assert [i.event for i in items] == ["expired"], message.id
                history = await s.history(message.id)
                assert [h.status for h in history].count(Status.EXPIRED) == 1
        finally:
            await other_store.close()

    backend.run(body)
