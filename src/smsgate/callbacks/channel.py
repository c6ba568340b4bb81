"""The outbox's "http" channel: status callbacks and MO webhooks, POSTed (signed) to their URL.

The consumer (smsgate.outbox) claims, retries and settles; this module only delivers. An item is
done on 2xx; retried on a timeout, a connection error, 429 or 5xx; refused for good on any other
answer. Each receiver (scheme, host, port) has a queue, drained by at most `per_receiver`
senders over keep-alive connections, and a bounded backlog, so a slow or dead receiver holds a
few slots, never the whole gateway: what it cannot take now is given back for `postpone`
seconds, and while it is busy the consumer claims no more than it has room for.
"""

import asyncio
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from smsgate.callbacks.formats import CallbackFormat, format_named
from smsgate.callbacks.hosts import check_host
from smsgate.callbacks.http_client import HttpClient, HttpClientError
from smsgate.callbacks.requests import request_for
from smsgate.domain.account import Account
from smsgate.domain.callback_urls import PRIVATE_NETWORKS, DenyList
from smsgate.domain.errors import GatewayError
from smsgate.domain.outbox import OutboxItem
from smsgate.engine.clock import Clock
from smsgate.outbox import ConsumerConfig, OutboxConsumer, Outcome, RetryPolicy, Scope
from smsgate.store import Store

log = logging.getLogger(__name__)

CHANNEL: Final = "http"
_NOWHERE: Final = ("", "", 0)  # the receiver of items whose URL cannot be sent to
_ACCOUNT_TTL: Final = 30.0  # seconds an account's secret and scheme stay cached
_HOST_TTL: Final = 60.0  # seconds a host's deny-list verdict stays cached


@dataclass
class CallbackConfig:
    timeout: float = 0.5  # seconds per attempt, everything included
    max_attempts: int = 8  # the first attempt and 7 retries (about 1.8 hours with the defaults)
    first_retry: float = 2.0  # seconds before the first retry
    backoff_factor: float = 4.0  # each retry waits this many times longer than the last
    max_delay: float = 3600.0  # seconds between retries at most
    jitter: float = 0.2  # each delay is drawn within +-20%
    max_age: float = 86_400.0  # seconds after its creation a failing item is given up
    per_receiver: int = 8  # concurrent requests to one receiver
    receiver_backlog: int = 500  # items waiting for one receiver before more are put back
    postpone: float = 1.0  # seconds before what was put back comes due again
    max_in_flight: int = 2000  # items claimed and not settled
    batch: int = 500  # items per claim
    lease: float = 60.0  # seconds a claimed item stays hidden from other claimers
    poll_interval: float = 0.5  # seconds between claims when nothing announced new items
    settle_delay: float = 0.005  # seconds outcomes wait to be written with the next ones
    # callback hosts may not be in these ranges; None: the private ranges (PRIVATE_NETWORKS)
    deny_networks: list[str] | None = None

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay=self.first_retry,
            factor=self.backoff_factor,
            max_delay=self.max_delay,
            jitter=self.jitter,
            max_attempts=self.max_attempts,
            max_age=self.max_age,
        )

    def consumer(self) -> ConsumerConfig:
        # stopping gives attempts under way one more timeout
        return ConsumerConfig(
            max_in_flight=self.max_in_flight,
            batch=self.batch,
            lease=self.lease,
            poll_interval=self.poll_interval,
            settle_delay=self.settle_delay,
            grace=self.timeout * 2,
        )


def callback_consumer(
    store: Store,
    clock: Clock,
    config: CallbackConfig | None = None,
    *,
    rng: random.Random | None = None,
    formats: Mapping[str, CallbackFormat] | None = None,
    tls: ssl.SSLContext | None = None,
    dead_letters: dict[str, int] | None = None,
) -> OutboxConsumer:
    """The outbox consumer of the http channel."""
    config = config or CallbackConfig()
    channel = HttpChannel(store, clock, config, formats=formats, tls=tls)
    return OutboxConsumer(
        store, clock, channel, config.policy(), config.consumer(),
        rng=rng, dead_letters=dead_letters,
    )  # fmt: skip


def deny_list(config: CallbackConfig) -> DenyList:
    return DenyList(PRIVATE_NETWORKS if config.deny_networks is None else config.deny_networks)


class _Batch:
    """The outcomes of one hand-over, read by the consumer as they come."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.results: asyncio.Queue[tuple[OutboxItem, Outcome]] = asyncio.Queue()
        self.closed = False  # the consumer stopped reading: attempt nothing more of it


@dataclass(slots=True)
class _Receiver:
    key: tuple[str, str, int]
    queue: deque[tuple[OutboxItem, _Batch]] = field(default_factory=deque)  # not attempted yet
    senders: int = 0  # tasks draining the queue, at most per_receiver
    waiting: int = 0  # items queued or in flight
    busy: bool = False  # could not take another batch since it last caught up


class _AttemptError(Exception):
    """An attempt failed; `retry` tells whether trying again may help; `status` and `duration`
    are the receiver's answer and how long it took, when it answered."""

    def __init__(
        self,
        reason: str,
        *,
        retry: bool,
        status: int | None = None,
        duration: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.retry = retry
        self.status = status
        self.duration = duration


@dataclass(frozen=True, slots=True)
class _Answered:
    """A successful attempt: the receiver's status and the seconds it took to give it, or
    None for both when nothing was sent (`note` says why)."""

    status: int | None = None
    duration: float | None = None
    note: str | None = None


class HttpChannel:
    name = CHANNEL

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: CallbackConfig,
        *,
        formats: Mapping[str, CallbackFormat] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.formats = dict(formats or {})  # the dialects' callback shapes, by name
        self.deny = deny_list(config)
        self.postponed = 0  # items given back because their receiver was behind
        self._client = HttpClient(config.per_receiver, tls)  # no tls: the system's CAs
        self._receivers: dict[tuple[str, str, int], _Receiver] = {}
        self._busy: dict[tuple[str, str, int], _Receiver] = {}
        self._capacity = config.per_receiver + config.receiver_backlog  # per receiver
        self._accounts: dict[str, tuple[Account | None, float]] = {}
        self._hosts: dict[tuple[str, int], tuple[str | None, float]] = {}
        self._senders: set[asyncio.Task[None]] = set()
        self._halted = False
        self._wake: Callable[[], None] = lambda: None

    # -- the consumer's side -------------------------------------------------------------------

    def attach(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def ready(self) -> Iterable[Scope]:
        """Any account's items; while receivers are busy, no more than the emptiest of them has
        room for, or a tenth of a batch for the others: a gateway's items are often mostly for
        one receiver, and claiming what it cannot take only to give it back costs two writes
        per item and a postponement."""
        if self._halted:
            return []
        room = self.config.max_in_flight
        if self._busy:
            for key in [key for key, receiver in self._busy.items() if not receiver.waiting]:
                self._busy.pop(key).busy = False  # caught up since
            if self._busy:
                emptiest = max(self._capacity - r.waiting for r in self._busy.values())
                room = max(emptiest, self.config.batch // 10)
        return [Scope(None, room)]

    def deliver(self, items: Sequence[OutboxItem]) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        batch = _Batch(len(items))
        due = self.clock.time() + self.config.postpone
        for item in items:
            receiver = self._receiver(item.url or "")
            if receiver.waiting >= self._capacity:
                self.postponed += 1  # that receiver is behind: the others go on
                batch.results.put_nowait((item, Outcome.released(due)))
                continue
            receiver.waiting += 1
            if not receiver.busy and receiver.waiting > self._capacity - self.config.batch:
                receiver.busy = True
                self._busy[receiver.key] = receiver
            receiver.queue.append((item, batch))
            if receiver.senders < self.config.per_receiver:
                receiver.senders += 1
                task = asyncio.create_task(self._send(receiver))
                self._senders.add(task)
                task.add_done_callback(self._senders.discard)
        return self._outcomes(batch)

    @staticmethod
    async def _outcomes(batch: _Batch) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        try:
            for _ in range(batch.size):
                yield await batch.results.get()
        finally:
            batch.closed = True

    def halt(self) -> None:
        """Start no new attempt; give back what waits for one."""
        self._halted = True
        for receiver in self._receivers.values():
            while receiver.queue:
                item, batch = receiver.queue.popleft()
                self._finished(receiver, item, batch, Outcome.released())

    async def close(self) -> None:
        self.halt()
        for task in list(self._senders):
            task.cancel()
        if self._senders:
            await asyncio.wait(set(self._senders))
        self._client.close()

    # -- one receiver's items ------------------------------------------------------------------

    def _receiver(self, url: str) -> _Receiver:
        try:
            key = self._client.target(url).key
        except ValueError:
            key = _NOWHERE  # the attempt says why
        receiver = self._receivers.get(key)
        if receiver is None:
            receiver = self._receivers[key] = _Receiver(key)
        return receiver

    async def _send(self, receiver: _Receiver) -> None:
        """Attempt the receiver's queued items one after the other until none is left."""
        try:
            while receiver.queue and not self._halted:
                item, batch = receiver.queue.popleft()
                if batch.closed:  # its consumer gave it back meanwhile
                    self._finished(receiver, item, batch, None)
                    continue
                try:
                    outcome = await self._outcome(item)
                except Exception as error:  # a bug: tried again later, like any failure
                    log.exception("delivering callback %s failed", item.id)
                    outcome = Outcome.retry(f"internal error: {error!r}")
                self._finished(receiver, item, batch, outcome)
        finally:
            receiver.senders -= 1

    def _finished(
        self, receiver: _Receiver, item: OutboxItem, batch: _Batch, outcome: Outcome | None
    ) -> None:
        receiver.waiting -= 1
        if outcome is not None and not batch.closed:
            batch.results.put_nowait((item, outcome))
        # a busy receiver wakes the claimer only when it has room for half its capacity, and
        # again when it caught up: each wake-up claims at least a tenth of a batch
        if not receiver.busy or receiver.waiting in (0, self._capacity // 2):
            self._wake()

    async def _outcome(self, item: OutboxItem) -> Outcome:
        try:
            answered = await self._attempt(item)
        except _AttemptError as failed:
            code, duration = failed.status, failed.duration
            if failed.retry:
                limit = await self._max_attempts(item)
                return Outcome.retry(str(failed), limit, code=code, duration=duration)
            return Outcome.refused(str(failed), code=code, duration=duration)
        return Outcome.done(code=answered.status, duration=answered.duration, reason=answered.note)

    async def _attempt(self, item: OutboxItem) -> _Answered:
        url = item.url
        if not url:
            raise _AttemptError("no URL", retry=False)
        try:
            _, host, port = self._client.target(url).key
        except ValueError as error:
            raise _AttemptError(str(error), retry=False) from None
        await self._check_host(host, port)
        account = await self._account(item.account_id)
        try:
            shape = format_named(self.formats, account.callback_format if account else None)
            if shape is not None and shape.wanted is not None and not shape.wanted(item):
                # the platform never notifies this one: settled as done, nothing sent
                return _Answered(note=f"not sent: the {shape.name} format skips it")
            content, headers = request_for(item, account, self.formats)
        except ValueError as error:  # the account names an unknown scheme or format
            raise _AttemptError(str(error), retry=False) from None
        timeout = self.config.timeout
        if shape is not None and shape.timeout is not None:
            timeout = shape.timeout
        started = time.monotonic()
        try:
            status = await self._client.post(url, content, headers, timeout)
        except TimeoutError:
            raise _AttemptError(
                f"no answer within {timeout:g} s", retry=True, duration=time.monotonic() - started
            ) from None
        except HttpClientError as error:
            duration = time.monotonic() - started
            raise _AttemptError(str(error), retry=True, duration=duration) from None
        except ValueError as error:  # a URL or header that cannot be sent
            raise _AttemptError(str(error), retry=False) from None
        duration = time.monotonic() - started
        if 200 <= status < 300:
            return _Answered(status, duration)
        retry = status == 429 or status >= 500
        raise _AttemptError(f"HTTP {status}", retry=retry, status=status, duration=duration)

    async def _max_attempts(self, item: OutboxItem) -> int | None:
        """The account's callback format's own limit, if it has one."""
        account = await self._account(item.account_id)
        try:
            shape = format_named(self.formats, account.callback_format if account else None)
        except ValueError:
            return None
        return None if shape is None else shape.max_attempts

    def forget_accounts(self) -> None:
        """Drop the cached accounts: one changed elsewhere (its secret, its callback format)."""
        self._accounts.clear()

    async def _account(self, account_id: str) -> Account | None:
        now = time.monotonic()
        cached = self._accounts.get(account_id)
        if cached is not None and now - cached[1] < _ACCOUNT_TTL:
            return cached[0]
        account = await self.store.get_account(account_id)
        self._accounts[account_id] = (account, now)
        return account

    async def _check_host(self, host: str, port: int) -> None:
        if not self.deny.networks:
            return
        now = time.monotonic()
        cached = self._hosts.get((host, port))
        if cached is None or now - cached[1] >= _HOST_TTL:
            try:
                await check_host(self.deny, host, port)
                verdict = None
            except GatewayError as error:
                verdict = error.detail
            cached = self._hosts[(host, port)] = (verdict, now)
        if cached[0] is not None:
            raise _AttemptError(cached[0], retry=False)
