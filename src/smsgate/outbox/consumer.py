"""The outbox's one consumer, whatever the channel.

A loop claims due items of the channel's ready scopes (`Store.claim_outbox` with a lease: no
other claimer, here or on another node, gets them meanwhile), hands them to the channel, and
turns each outcome into an `OutboxUpdate` by the one retry policy: done, retried later, given
back unattempted, or given up (a dead letter: the `abandoned` state, counted per channel and
replayable), with an `OutboxAttempt` recording each attempt made. The outcomes of a few
milliseconds are written in one store write that the next claim does not wait for; an item
counts as settled once that write committed. The loop wakes when an item of its channel is
committed (`notify`) or the channel has room again, and polls now and then for retries come
due and items other nodes wrote.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.engine.clock import Clock
from smsgate.engine.writer import ChangeWriter
from smsgate.outbox.channel import Kind, OutboxChannel, Outcome
from smsgate.outbox.policy import RetryPolicy
from smsgate.store import Change, OutboxUpdate, Store, StoreError

log = logging.getLogger(__name__)


@dataclass
class ConsumerConfig:
    max_in_flight: int = 2000  # items claimed and not settled
    batch: int = 500  # items per claim
    lease: float = 60.0  # seconds a claimed item stays hidden from other claimers
    poll_interval: float = 0.5  # seconds between claims when nothing announced new items
    settle_delay: float = 0.005  # seconds outcomes wait to be written with the next ones
    grace: float = 1.0  # seconds deliveries in flight may finish in when stopping


# an outcome to write: the item, its update, what it is counted as (done, retried, abandoned
# -- a dead letter -- or released) and the record of the attempt (None: released, no attempt)
_Settled = tuple[OutboxItem, OutboxUpdate, str, OutboxAttempt | None]
_ATTEMPT_OUTCOMES: Final = {
    "done": AttemptOutcome.DELIVERED,
    "retried": AttemptOutcome.RETRY,
    "abandoned": AttemptOutcome.DEAD,
}


class OutboxConsumer:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        channel: OutboxChannel,
        policy: RetryPolicy,
        config: ConsumerConfig | None = None,
        *,
        rng: random.Random | None = None,
        dead_letters: dict[str, int] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.channel = channel
        self.policy = policy
        self.config = config or ConsumerConfig()
        self._random = rng or random.Random()
        # dead letters per channel since start; may be shared with other consumers (metrics)
        self.dead_letters = {} if dead_letters is None else dead_letters
        self.dead_letters.setdefault(channel.name, 0)
        self.counters: dict[str, int] = {"done": 0, "retried": 0, "abandoned": 0, "released": 0}
        self.on_settled: Callable[[OutboxItem, str], None] | None = None
        self._writer = ChangeWriter(store)
        self._claimed: dict[str, OutboxItem] = {}  # handed to the channel, not settled
        self._outcomes: list[_Settled] = []  # waiting for settle_delay to be written
        self._flush: asyncio.TimerHandle | None = None
        self._settling: set[asyncio.Future[None]] = set()  # written, not committed
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._full = False  # the last claim found max_in_flight items unsettled
        self._loop_task: asyncio.Task[None] | None = None
        channel.attach(self.wake)

    @property
    def in_flight(self) -> int:
        return len(self._claimed)

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        name = f"smsgate-outbox-{self.channel.name}"
        self._loop_task = asyncio.create_task(self._run(), name=name)

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming; give deliveries in flight up to `grace` seconds, then give back
        what is not settled (due again at once, no attempt counted)."""
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await asyncio.wait({self._loop_task})
        self.channel.halt()
        if self._tasks:
            wait = self.config.grace if grace is None else grace
            _, late = await asyncio.wait(set(self._tasks), timeout=wait)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._flush is not None:
            self._flush.cancel()
            self._write_outcomes()
        if self._settling:  # their callbacks run first, so what is settled leaves _claimed
            await asyncio.wait(set(self._settling))
        if self._claimed:
            with contextlib.suppress(StoreError):
                await self.store.outbox_release(list(self._claimed.values()), self.clock.time())
            self._claimed.clear()
        await self.channel.close()

    def notify(self, item: OutboxItem) -> None:
        """An outbox listener: an item was committed."""
        if item.channel == self.channel.name:
            self._wakeup.set()

    def wake(self) -> None:
        """Claim again now (a scope has room, a bind came up)."""
        self._wakeup.set()

    # -- claiming ------------------------------------------------------------------------------

    async def _run(self) -> None:
        config = self.config
        while not self._stopping:
            self._wakeup.clear()
            again = False
            for scope in list(self.channel.ready()):
                free = min(config.max_in_flight - len(self._claimed), config.batch)
                self._full = free <= 0
                limit = min(scope.room, free)
                if limit <= 0 or self._stopping:
                    continue
                try:
                    items = await self.store.claim_outbox(
                        self.channel.name,
                        self.clock.time(),
                        limit=limit,
                        lease=config.lease,
                        account_id=scope.account_id,
                    )
                except Exception:  # the store is down or busy: the next round tries again
                    log.exception("claiming %s outbox items failed", self.channel.name)
                    break
                if items:
                    self._hand_over(items)
                # a full claim the scope had more room for: more may be due right now
                again = again or (len(items) >= limit and scope.room > limit)
            if again:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), config.poll_interval)

    def _hand_over(self, items: list[OutboxItem]) -> None:
        for item in items:
            self._claimed[item.id] = item
        stream = self.channel.deliver(items)
        task = asyncio.create_task(self._follow(stream, {item.id for item in items}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(
        self, stream: AsyncIterator[tuple[OutboxItem, Outcome]], unsettled: set[str]
    ) -> None:
        try:
            async for item, outcome in stream:
                unsettled.discard(item.id)
                self._settle(item, outcome)
        except Exception:  # a bug: what is left is due again after its lease
            log.exception("delivering %s outbox items failed", self.channel.name)
            for item_id in unsettled:
                self._claimed.pop(item_id, None)
            self._wakeup.set()

    # -- settling ------------------------------------------------------------------------------

    def _settle(self, item: OutboxItem, outcome: Outcome) -> None:
        """Write the outcome with the others of the next few milliseconds (one commit for
        many: each commit rewrites the outbox's pages)."""
        update, counted = self.update(item, outcome)
        self._outcomes.append((item, update, counted, self.attempt(update, counted, outcome)))
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(self.config.settle_delay, self._write_outcomes)

    def update(self, item: OutboxItem, outcome: Outcome) -> tuple[OutboxUpdate, str]:
        """The change an outcome calls for, and what it counts as."""
        now = self.clock.time()
        attempts = item.attempts + 1
        if outcome.kind is Kind.DONE:
            return OutboxUpdate(item.id, OutboxState.DONE, now, attempts), "done"
        if outcome.kind is Kind.RELEASED:
            due = now if outcome.due is None else outcome.due
            return OutboxUpdate(item.id, OutboxState.PENDING, now, item.attempts, due), "released"
        reason = outcome.reason or "failed"
        if outcome.kind is Kind.RETRY:
            next_at = self.policy.next_attempt(
                item.created_at, attempts, now, self._random, outcome.max_attempts
            )
            if next_at is not None:
                update = OutboxUpdate(item.id, OutboxState.PENDING, now, attempts, next_at, reason)
                return update, "retried"
        return OutboxUpdate(
            item.id, OutboxState.ABANDONED, now, attempts, None, reason
        ), "abandoned"

    @staticmethod
    def attempt(update: OutboxUpdate, counted: str, outcome: Outcome) -> OutboxAttempt | None:
        """The record of the attempt an update settles; None for a release (no attempt)."""
        result = _ATTEMPT_OUTCOMES.get(counted)
        if result is None:
            return None
        detail = update.last_error or outcome.reason
        return OutboxAttempt(
            update.id, update.attempts, update.at, result, outcome.code, detail, outcome.duration
        )

    def _write_outcomes(self) -> None:
        self._flush = None
        outcomes, self._outcomes = self._outcomes, []
        # each attempt's record rides in the same write (one transaction) as its settlement
        changes: list[Change] = []
        for _, update, _, attempt in outcomes:
            changes.append(update)
            if attempt is not None:
                changes.append(attempt)
        committed = self._writer.add(changes)
        self._settling.add(committed)
        committed.add_done_callback(partial(self._committed, outcomes))

    def _committed(self, outcomes: list[_Settled], committed: "asyncio.Future[None]") -> None:
        self._settling.discard(committed)
        error = None if committed.cancelled() else committed.exception()
        if committed.cancelled() or error is not None:  # due again after their lease
            log.error("settling %d %s outbox items failed: %s", len(outcomes), self.channel.name,
                      error)  # fmt: skip
        for item, _, counted, _ in outcomes:
            self._claimed.pop(item.id, None)
            if error is None and not committed.cancelled():
                self.counters[counted] += 1
                if counted == "abandoned":
                    name = self.channel.name
                    self.dead_letters[name] = self.dead_letters.get(name, 0) + 1
                if self.on_settled is not None:
                    self.on_settled(item, counted)
        if self._full:  # room again for claimed items (else the channel says when it has room)
            self._wakeup.set()
