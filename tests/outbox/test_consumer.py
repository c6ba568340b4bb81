"""The one outbox consumer with an in-process channel on a real store (both backends) and an
injected clock: retries by the policy, dead letters after the last attempt and after the
maximum age, unattempted waiting that costs nothing, a replay that delivers, and the record of
each attempt written with its settlement."""

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import pytest

from smsgate.domain.ids import new_id
from smsgate.domain.outbox import AttemptOutcome, OutboxItem, OutboxState
from smsgate.engine.clock import ManualClock
from smsgate.outbox import ConsumerConfig, OutboxConsumer, Outcome, RetryPolicy, Scope
from smsgate.store import Store
from tests.store.backends import BACKENDS, StoreBackend, store_backend

TIMEOUT = 20.0


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


class FakeChannel:
    """Answers every item with `answer` (a function of the item) and records the attempts."""

    name = "http"

    def __init__(self) -> None:
        self.answer: Callable[[OutboxItem], Outcome] = lambda _: Outcome.done()
        self.seen: list[OutboxItem] = []

    def attach(self, wake: Callable[[], None]) -> None:
        pass

    def ready(self) -> list[Scope]:
        return [Scope(None, 100)]

    def deliver(self, items: Sequence[OutboxItem]) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        self.seen.extend(items)
        return self._outcomes(list(items))

    async def _outcomes(self, items: list[OutboxItem]) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        for item in items:
            yield item, self.answer(item)

    def halt(self) -> None:
        pass

    async def close(self) -> None:
        pass


class Settled:
    def __init__(self, consumer: OutboxConsumer) -> None:
        self.outcomes: list[str] = []
        self.changed = asyncio.Event()
        consumer.on_settled = self.add

    def add(self, item: OutboxItem, outcome: str) -> None:
        self.outcomes.append(outcome)
        self.changed.set()

    async def until(self, outcome: str, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while self.outcomes.count(outcome) < count:
                self.changed.clear()
                await self.changed.wait()


def item(clock: ManualClock) -> OutboxItem:
    now = clock.time()
    return OutboxItem(
        id=new_id(), channel="http", account_id="acct", subject_id=new_id(), event="delivered",
        payload={"status": "delivered"}, created_at=now, next_attempt_at=now,
        url="https://client.example/cb",
    )  # fmt: skip


def consumer_for(store: Store, clock: ManualClock, policy: RetryPolicy) -> OutboxConsumer:
    config = ConsumerConfig(poll_interval=0.05, batch=10)
    return OutboxConsumer(
        store, clock, FakeChannel(), policy, config, rng=random.Random(3), dead_letters={}
    )


def fake(consumer: OutboxConsumer) -> FakeChannel:
    assert isinstance(consumer.channel, FakeChannel)
    return consumer.channel


def test_dead_letter_after_the_last_attempt_then_replayed_and_delivered(
    backend: StoreBackend,
) -> None:
    async def body(store: Store) -> None:
        clock = ManualClock()
        policy = RetryPolicy(first_delay=1.0, factor=2.0, max_delay=10.0, jitter=0.0,
                             max_attempts=3, max_age=None)  # fmt: skip
        owed = item(clock)
        await store.write([owed])
        consumer = consumer_for(store, clock, policy)
        channel = fake(consumer)
        channel.answer = lambda _: Outcome.retry("HTTP 503", code=503, duration=0.25)
        settled = Settled(consumer)
        await consumer.start()
        try:
            await settled.until("retried", 1)
            stored = await store.outbox_item(owed.id)
            assert stored is not None and stored.next_attempt_at == clock.time() + 1.0
            clock.advance(1.0)
            consumer.wake()
            await settled.until("retried", 2)
            clock.advance(2.0)
            consumer.wake()
            await settled.until("abandoned", 1)
            dead = await store.dead_letters(channel="http")
            assert [d.id for d in dead] == [owed.id]
            assert dead[0].state is OutboxState.ABANDONED and dead[0].attempts == 3
            assert dead[0].last_error == "HTTP 503"
            assert consumer.dead_letters == {"http": 1}
            # the receiver is back: replayed, the item is delivered once more
            channel.answer = lambda _: Outcome.done(code=200, duration=0.01)
            assert await store.outbox_replay([owed.id, "no-such-item"], clock.time()) == 1
            consumer.wake()
            await settled.until("done", 1)
        finally:
            await consumer.stop()
        stored = await store.outbox_item(owed.id)
        assert stored is not None and stored.state is OutboxState.DONE and stored.attempts == 1
        assert await store.dead_letters() == []
        assert len(channel.seen) == 4
        # each attempt recorded as it was settled; the replay numbers them from 1 again
        attempts = (await store.outbox_attempts([owed.id]))[owed.id]
        assert [(a.attempt, a.outcome, a.code, a.detail, a.duration) for a in attempts] == [
            (1, AttemptOutcome.RETRY, 503, "HTTP 503", 0.25),
            (2, AttemptOutcome.RETRY, 503, "HTTP 503", 0.25),
            (3, AttemptOutcome.DEAD, 503, "HTTP 503", 0.25),
            (1, AttemptOutcome.DELIVERED, 200, None, 0.01),
        ]
        assert [a.at for a in attempts[1:3]] == [attempts[0].at + 1.0, attempts[0].at + 3.0]

    backend.run(body)


def test_dead_letter_after_the_max_age_and_at_once_when_refused(backend: StoreBackend) -> None:
    async def body(store: Store) -> None:
        clock = ManualClock()
        policy = RetryPolicy(first_delay=10.0, factor=1.0, max_delay=10.0, jitter=0.0,
                             max_attempts=1000, max_age=60.0)  # fmt: skip
        waiting, refused = item(clock), item(clock)
        await store.write([waiting, refused])
        consumer = consumer_for(store, clock, policy)
        channel = fake(consumer)
        # no room for `waiting` yet (no bind, say): given back, not an attempt
        channel.answer = lambda i: (
            Outcome.refused("HTTP 404") if i.id == refused.id else Outcome.released()
        )
        settled = Settled(consumer)
        await consumer.start()
        try:
            await settled.until("abandoned", 1)  # refused for good: dead at its first attempt
            await settled.until("released", 1)
            stored = await store.outbox_item(waiting.id)
            assert stored is not None and stored.attempts == 0
            assert stored.state is OutboxState.PENDING
            channel.answer = lambda _: Outcome.retry("window full")
            clock.advance(30)
            consumer.wake()
            await settled.until("retried", 1)  # 30 s old: still within its age
            clock.advance(31)  # past the retry and past 60 s of age
            consumer.wake()
            await settled.until("abandoned", 2)
        finally:
            await consumer.stop()
        dead = {d.id: d for d in await store.dead_letters(account_id="acct")}
        assert set(dead) == {waiting.id, refused.id}
        assert dead[waiting.id].attempts == 2 and dead[waiting.id].last_error == "window full"
        assert dead[refused.id].attempts == 1 and dead[refused.id].last_error == "HTTP 404"
        assert consumer.dead_letters == {"http": 2}
        # the releases were no attempts: none recorded
        attempts = await store.outbox_attempts([waiting.id, refused.id])
        assert [(a.attempt, a.outcome) for a in attempts[waiting.id]] == [
            (1, AttemptOutcome.RETRY), (2, AttemptOutcome.DEAD),
        ]  # fmt: skip
        assert [(a.attempt, a.outcome) for a in attempts[refused.id]] == [(1, AttemptOutcome.DEAD)]
        # replay by channel: both back, attempts 0, due now
        assert await store.outbox_replay(None, clock.time(), channel="smpp") == 0
        assert await store.outbox_replay(None, clock.time(), channel="http") == 2
        for item_id in dead:
            stored = await store.outbox_item(item_id)
            assert stored is not None and stored.state is OutboxState.PENDING
            assert stored.attempts == 0 and stored.next_attempt_at == clock.time()

    backend.run(body)
