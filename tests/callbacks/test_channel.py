"""The http outbox channel on its consumer against real HTTP receivers on loopback and a real
store (both backends), with an injected clock for the retry schedule."""

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import CallbackConfig, callback_consumer
from smsgate.callbacks.signing import REACH, verify
from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.engine.clock import ManualClock
from smsgate.outbox import OutboxConsumer
from smsgate.store import Store
from tests.store.backends import BACKENDS, StoreBackend, store_backend

TIMEOUT = 20.0
SECRET = "whsec-0123456789"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def config(**changes: object) -> CallbackConfig:
    settings = CallbackConfig(deny_networks=[], poll_interval=0.05)
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def item(
    url: str, subject: str, event: str, clock: ManualClock, account: str = "acct"
) -> OutboxItem:
    now = clock.time()
    return OutboxItem(
        id=new_id(),
        channel="http",
        account_id=account,
        subject_id=subject,
        event=event,
        payload={"id": subject, "status": event, "segments": 1, "price": None},
        created_at=now,
        next_attempt_at=now,
        url=url,
    )


class Settled:
    """Waits on the worker's outcomes instead of sleeping."""

    def __init__(self, worker: OutboxConsumer) -> None:
        self.outcomes: list[tuple[str, str]] = []
        self.changed = asyncio.Event()
        self.watch(worker)

    def watch(self, worker: OutboxConsumer) -> None:
        worker.on_settled = self.add

    def add(self, settled: OutboxItem, outcome: str) -> None:
        self.outcomes.append((settled.id, outcome))
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    def count(self, outcome: str) -> int:
        return sum(1 for _, o in self.outcomes if o == outcome)


def run(
    backend: StoreBackend,
    body: Callable[[Store, CallbackReceiver, str], Awaitable[None]],
) -> None:
    async def main(store: Store) -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            await body(store, receiver, base)
        finally:
            await receiver.stop()

    backend.run(main, timeout=60)


def test_signed_json_and_form_callbacks_verify(backend: StoreBackend) -> None:
    async def body(store: Store, receiver: CallbackReceiver, base: str) -> None:
        clock = ManualClock()
        await store.create_account(Account(id="native", name="n", webhook_secret=SECRET))
        await store.create_account(
            Account(id="reach", name="r", webhook_secret=SECRET, signature="reach")
        )
        await store.write(
            [
                item(f"{base}/json?x=1", "m1", "delivered", clock, "native"),
                item(f"{base}/form", "m2", "failed", clock, "reach"),
            ]
        )
        worker = callback_consumer(store, clock, config())
        settled = Settled(worker)
        await worker.start()
        try:
            await settled.until(lambda: settled.count("done") == 2)
        finally:
            await worker.stop()
        by_path = {r.path: r for r in receiver.received}
        native = by_path["/json"]
        assert native.headers["content-type"] == "application/json"
        assert orjson.loads(native.body)["status"] == "delivered"
        assert verify(
            SECRET, f"{base}/json?x=1", native.headers["x-smsgate-signature"], body=native.body
        )
        assert not verify(
            "other", f"{base}/json?x=1", native.headers["x-smsgate-signature"], body=native.body
        )
        form = by_path["/form"]
        params = dict(parse_qsl(form.body.decode()))
        assert params["status"] == "failed" and params["event"] == "failed"
        assert "price" not in params  # a null is left out of a form
        assert verify(
            SECRET, f"{base}/form", form.headers["x-reach-signature"], REACH, params=params
        )

    run(backend, body)


def test_a_receiver_down_for_a_while_gets_everything_in_order_per_message(
    backend: StoreBackend,
) -> None:
    async def body(store: Store, receiver: CallbackReceiver, base: str) -> None:
        clock = ManualClock()
        receiver.status = 503
        messages = [new_id() for _ in range(4)]
        events = ("queued", "sent", "delivered")
        # written event by event, as the engine does while the message moves on
        for event in events:
            await store.write([item(f"{base}/cb", m, event, clock) for m in messages])
        worker = callback_consumer(store, clock, config(), rng=random.Random(7))
        settled = Settled(worker)
        await worker.start()
        try:
            # each message's first item fails and waits for its retry; the others wait behind it
            await settled.until(lambda: settled.count("retried") == len(messages))
            assert settled.count("done") == 0
            clock.advance(3)  # past the first retry (2 s +-20%): still down
            worker.notify(item("", "", "", clock))
            await settled.until(lambda: settled.count("retried") == 2 * len(messages))
            receiver.status = 200
            clock.advance(10)  # past the second retry (8 s +-20%)
            worker.notify(item("", "", "", clock))
            await settled.until(lambda: settled.count("done") == len(messages) * len(events))
        finally:
            await worker.stop()
        got: dict[str, list[str]] = {}
        for request in receiver.received:
            payload = orjson.loads(request.body)
            statuses = got.setdefault(payload["id"], [])
            if not statuses or statuses[-1] != payload["status"]:
                statuses.append(payload["status"])  # a retry repeats the same status
        assert got == {m: list(events) for m in messages}
        first, _ = await store.list_outbox("acct", subject_id=messages[0])
        assert {i.state for i in first} == {OutboxState.DONE}
        assert sorted(i.attempts for i in first) == [1, 1, 3]

    run(backend, body)


def test_no_retry_on_4xx_but_on_429_and_timeouts(backend: StoreBackend) -> None:
    async def body(store: Store, receiver: CallbackReceiver, base: str) -> None:
        clock = ManualClock()
        refused = item(f"{base}/gone", new_id(), "delivered", clock)
        receiver.status = 404
        await store.write([refused])
        worker = callback_consumer(store, clock, config(timeout=0.2, max_attempts=2))
        settled = Settled(worker)
        await worker.start()
        try:
            await settled.until(lambda: settled.count("abandoned") == 1)
            stored = await store.outbox_item(refused.id)
            assert stored is not None and stored.state is OutboxState.ABANDONED
            assert stored.last_error == "HTTP 404" and stored.attempts == 1
            receiver.status = 429
            busy = item(f"{base}/busy", new_id(), "delivered", clock)
            await store.write([busy])
            worker.notify(busy)
            await settled.until(lambda: settled.count("retried") == 1)
            # the last attempt: answered too slowly, so the item is abandoned, visibly
            receiver.status, receiver.delay = 200, 1.0
            clock.advance(60)
            worker.notify(busy)
            await settled.until(lambda: settled.count("abandoned") == 2)
            stored = await store.outbox_item(busy.id)
            assert stored is not None and stored.attempts == 2
            assert stored.last_error == "no answer within 0.2 s"
            abandoned, _ = await store.list_outbox("acct", state=OutboxState.ABANDONED)
            assert {i.id for i in abandoned} == {refused.id, busy.id}
        finally:
            await worker.stop()

    run(backend, body)


def test_a_slow_receiver_does_not_delay_the_others(backend: StoreBackend) -> None:
    async def body(store: Store, slow: CallbackReceiver, slow_base: str) -> None:
        clock = ManualClock()
        fast = CallbackReceiver()
        fast_base = await fast.start()
        slow.delay = 0.3
        try:
            slow_items = [item(f"{slow_base}/cb", new_id(), "sent", clock) for _ in range(12)]
            fast_items = [item(f"{fast_base}/cb", new_id(), "sent", clock) for _ in range(40)]
            await store.write(slow_items)  # first in line
            await store.write(fast_items)
            worker = callback_consumer(
                store, clock, config(per_receiver=2, receiver_backlog=4, lease=3600)
            )
            settled = Settled(worker)

            async def advance_until(condition: Callable[[], bool]) -> None:
                while not condition():
                    done = settled.count("done")
                    clock.advance(1)  # what was put back comes due again
                    worker.notify(slow_items[0])
                    await settled.until(lambda done=done: settled.count("done") > done)

            await worker.start()
            try:
                # each receiver holds at most 6 items at a time (2 in flight, 4 waiting)
                await advance_until(lambda: fast.count == 40)
                # two at a time, 0.3 s each: the slow one has had only a few by now
                assert slow.count <= 8
                await advance_until(lambda: settled.count("done") == 52)
            finally:
                await worker.stop()
            assert worker.counters["released"] > 0  # its backlog was full: put back for later
        finally:
            await fast.stop()

    run(backend, body)


def test_a_restart_loses_nothing(backend: StoreBackend) -> None:
    async def body(store: Store, receiver: CallbackReceiver, base: str) -> None:
        clock = ManualClock()
        receiver.delay = 0.2
        items = [item(f"{base}/cb", new_id(), "delivered", clock) for _ in range(30)]
        await store.write(items)
        first = callback_consumer(store, clock, config(per_receiver=2))
        settled = Settled(first)
        await first.start()
        await settled.until(lambda: settled.count("done") >= 2)
        await first.stop(grace=0.01)  # the rest is put back, attempted or not
        receiver.delay = 0.0
        # a worker that claimed and died without a word: its items come due after the lease
        claimed = await store.claim_outbox("http", clock.time(), limit=5, lease=60)
        assert claimed
        second = callback_consumer(store, clock, config())
        settled.watch(second)
        await second.start()
        try:
            await settled.until(lambda: settled.count("done") == len(items) - len(claimed))
            clock.advance(61)
            second.notify(items[0])
            await settled.until(lambda: settled.count("done") == len(items))
        finally:
            await second.stop()
        for sent in items:
            stored = await store.outbox_item(sent.id)
            assert stored is not None and stored.state is OutboxState.DONE
        assert {orjson.loads(r.body)["id"] for r in receiver.received} == {
            i.subject_id for i in items
        }

    run(backend, body)


def test_a_busy_receiver_is_claimed_for_only_as_far_as_it_has_room(
    backend: StoreBackend,
) -> None:
    async def body(store: Store, receiver: CallbackReceiver, base: str) -> None:
        clock = ManualClock()
        items = [item(f"{base}/cb", new_id(), "delivered", clock) for _ in range(60)]
        await store.write(items)
        # room for 22 items (2 in flight, 20 waiting) and claims of 10: claiming batch after
        # batch would overfill it and put items back for later
        worker = callback_consumer(
            store, clock, config(per_receiver=2, receiver_backlog=20, batch=10)
        )
        settled = Settled(worker)
        await worker.start()
        try:
            await settled.until(lambda: settled.count("done") == len(items))
        finally:
            await worker.stop()
        assert worker.counters["released"] == 0
        assert receiver.count == len(items)

    run(backend, body)
