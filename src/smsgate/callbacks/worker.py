"""Delivers the outbox's "http" items: status callbacks and MO webhooks.

Claims due items in batches, POSTs each (signed) to its URL with a short timeout, and settles
it: done on 2xx; retried with exponential back-off and jitter on a timeout, a connection error,
429 or 5xx; abandoned on any other answer or after the last attempt. Each receiver (scheme,
host, port) has a queue, drained by at most `per_receiver` senders over keep-alive connections,
and a bounded backlog, so a slow or dead receiver holds a few slots, never the whole worker:
what it cannot take now is put back for later. The outcomes of one loop turn are written to
the store together; an item counts as settled once its outcome is committed.
"""

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Final
from urllib.parse import urlencode

import orjson

from smsgate.callbacks.formats import CallbackFormat, format_named, native_values
from smsgate.callbacks.hosts import check_host
from smsgate.callbacks.http_client import HttpClient, HttpClientError
from smsgate.callbacks.signing import scheme_named, sign
from smsgate.domain.account import Account
from smsgate.domain.callback_urls import PRIVATE_NETWORKS, DenyList
from smsgate.domain.errors import GatewayError
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.engine.clock import Clock
from smsgate.engine.writer import ChangeWriter
from smsgate.store import OutboxUpdate, Store, StoreError

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
    backoff_factor: float = 4.0
    max_delay: float = 3600.0
    jitter: float = 0.2  # each delay is drawn within +-20%
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


@dataclass(slots=True)
class _Receiver:
    key: tuple[str, str, int]
    queue: deque[OutboxItem] = field(default_factory=deque)  # claimed, not attempted yet
    senders: int = 0  # tasks draining the queue, at most per_receiver
    waiting: int = 0  # items queued, in flight or being settled
    busy: bool = False  # could not take another batch since it last caught up


_Outcome = tuple[_Receiver, OutboxItem, OutboxUpdate, str]


class _AttemptError(Exception):
    """An attempt failed; `retry` tells whether trying again may help."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


class CallbackWorker:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: CallbackConfig | None = None,
        *,
        rng: random.Random | None = None,
        formats: Mapping[str, CallbackFormat] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config or CallbackConfig()
        self.formats = dict(formats or {})  # the dialects' callback shapes, by name
        self.deny = deny_list(self.config)
        self._random = rng or random.Random()
        self._client = HttpClient(self.config.per_receiver, tls)  # no tls: the system's CAs
        self._writer = ChangeWriter(store)
        self._outcomes: list[_Outcome] = []  # waiting for settle_delay to be written
        self._flush: asyncio.TimerHandle | None = None
        self._settling: set[asyncio.Future[None]] = set()  # outcomes written, not committed
        self._receivers: dict[tuple[str, str, int], _Receiver] = {}
        self._busy: dict[tuple[str, str, int], _Receiver] = {}
        self._capacity = self.config.per_receiver + self.config.receiver_backlog  # per receiver
        self._accounts: dict[str, tuple[Account | None, float]] = {}
        self._hosts: dict[tuple[str, int], tuple[str | None, float]] = {}
        self._claimed: dict[str, OutboxItem] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        # done, retried, abandoned, postponed: settled items since start
        self.counters: dict[str, int] = {"done": 0, "retried": 0, "abandoned": 0, "postponed": 0}
        self.on_settled: Callable[[OutboxItem, str], None] | None = None

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="smsgate-callbacks")

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming; give deliveries in flight up to `grace` seconds (default: one
        attempt's timeout), then put back what is not settled."""
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await asyncio.wait({self._loop_task})
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace or self.config.timeout * 2)
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
        self._client.close()

    def notify(self, item: OutboxItem) -> None:
        """An outbox listener: a new item was committed."""
        if item.channel == CHANNEL:
            self._wakeup.set()

    # -- claiming ------------------------------------------------------------------------------

    async def _run(self) -> None:
        config = self.config
        while not self._stopping:
            self._wakeup.clear()
            limit = self._claim_limit()
            claimed: list[OutboxItem] = []
            if limit > 0:
                now = self.clock.time()
                try:
                    claimed = await self.store.claim_outbox(
                        CHANNEL, now, limit=limit, lease=config.lease
                    )
                except Exception:  # the store is down or busy: the next round tries again
                    log.exception("claiming callbacks failed")
                await self._start_deliveries(claimed, now)
            if len(claimed) >= limit > 0 and not self._busy:
                continue  # there may be more due right now (else a busy receiver wakes the loop)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), config.poll_interval)

    def _claim_limit(self) -> int:
        """Room for claimed items, a batch at most; while receivers are busy, no more than the
        emptiest of them has room for, or a tenth of a batch for the others: a gateway's items
        are often mostly for one receiver, and claiming what it cannot take only to put it back
        costs two writes per item and a postponement."""
        limit = min(self.config.max_in_flight - len(self._claimed), self.config.batch)
        if self._busy:
            for key in [key for key, receiver in self._busy.items() if not receiver.waiting]:
                self._busy.pop(key).busy = False  # caught up since
            room = max((self._capacity - r.waiting for r in self._busy.values()), default=limit)
            limit = min(limit, max(room, self.config.batch // 10))
        return limit

    async def _start_deliveries(self, items: list[OutboxItem], now: float) -> None:
        postponed: list[OutboxItem] = []
        for item in items:
            receiver = self._receiver(item.url or "")
            if receiver.waiting >= self._capacity:
                postponed.append(item)  # that receiver is behind: the others go on
                continue
            receiver.waiting += 1
            if not receiver.busy and receiver.waiting > self._capacity - self.config.batch:
                receiver.busy = True
                self._busy[receiver.key] = receiver
            self._claimed[item.id] = item
            receiver.queue.append(item)
            if receiver.senders < self.config.per_receiver:
                receiver.senders += 1
                task = asyncio.create_task(self._send(receiver))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        if postponed:
            self.counters["postponed"] += len(postponed)
            try:
                await self.store.outbox_release(postponed, now, due=now + self.config.postpone)
            except StoreError:
                log.exception("putting back %d callbacks failed (due again later)", len(postponed))

    def _receiver(self, url: str) -> _Receiver:
        try:
            key = self._client.target(url).key
        except ValueError:
            key = _NOWHERE  # the attempt says why
        receiver = self._receivers.get(key)
        if receiver is None:
            receiver = self._receivers[key] = _Receiver(key)
        return receiver

    # -- one receiver's items ------------------------------------------------------------------

    async def _send(self, receiver: _Receiver) -> None:
        """Attempt the receiver's queued items one after the other until none is left."""
        try:
            while receiver.queue and not self._stopping:
                item = receiver.queue.popleft()
                try:
                    await self._deliver(receiver, item)
                except Exception:  # a bug: the item is due again after its lease
                    log.exception("delivering callback %s failed", item.id)
                    self._forget(receiver, item)
        finally:
            receiver.senders -= 1

    async def _deliver(self, receiver: _Receiver, item: OutboxItem) -> None:
        try:
            await self._attempt(item)
        except _AttemptError as refused:
            now = self.clock.time()
            attempts = item.attempts + 1
            if refused.retry and attempts < await self._max_attempts(item):
                next_at = now + self.delay(item.attempts)
                update = OutboxUpdate(
                    item.id, OutboxState.PENDING, now, attempts, next_at, str(refused)
                )
                self._settle(receiver, item, update, "retried")
            else:
                update = OutboxUpdate(
                    item.id, OutboxState.ABANDONED, now, attempts, None, str(refused)
                )
                self._settle(receiver, item, update, "abandoned")
        else:
            update = OutboxUpdate(item.id, OutboxState.DONE, self.clock.time(), item.attempts + 1)
            self._settle(receiver, item, update, "done")

    def _settle(
        self, receiver: _Receiver, item: OutboxItem, update: OutboxUpdate, outcome: str
    ) -> None:
        """Write the outcome with the others of the next few milliseconds (one commit for
        many: each commit rewrites the outbox's pages); settled once committed."""
        self._outcomes.append((receiver, item, update, outcome))
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(self.config.settle_delay, self._write_outcomes)

    def _write_outcomes(self) -> None:
        self._flush = None
        outcomes, self._outcomes = self._outcomes, []
        committed = self._writer.add([update for _, _, update, _ in outcomes])
        self._settling.add(committed)
        committed.add_done_callback(partial(self._committed, outcomes))

    def _committed(self, outcomes: list[_Outcome], committed: "asyncio.Future[None]") -> None:
        self._settling.discard(committed)
        error = None if committed.cancelled() else committed.exception()
        if error is not None:  # the items are due again after their lease
            log.error("settling %d callbacks failed: %s", len(outcomes), error)
        for receiver, item, _, outcome in outcomes:
            if error is None and not committed.cancelled():
                self.counters[outcome] += 1
                if self.on_settled is not None:
                    self.on_settled(item, outcome)
            self._forget(receiver, item)

    def _forget(self, receiver: _Receiver, item: OutboxItem) -> None:
        receiver.waiting -= 1
        self._claimed.pop(item.id, None)
        # a busy receiver wakes the loop when it has room for half its capacity, and again
        # when it caught up
        if not receiver.busy or receiver.waiting in (0, self._capacity // 2):
            self._wakeup.set()

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts + 1` failed ones."""
        config = self.config
        base = min(config.first_retry * config.backoff_factor**attempts, config.max_delay)
        return base * self._random.uniform(1 - config.jitter, 1 + config.jitter)

    async def _attempt(self, item: OutboxItem) -> None:
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
                return  # the platform never notifies this one: settled as done, nothing sent
            content, headers = request_for(item, account, self.formats)
        except ValueError as error:  # the account names an unknown scheme or format
            raise _AttemptError(str(error), retry=False) from None
        timeout = self.config.timeout
        if shape is not None and shape.timeout is not None:
            timeout = shape.timeout
        try:
            status = await self._client.post(url, content, headers, timeout)
        except TimeoutError:
            raise _AttemptError(f"no answer within {timeout:g} s", retry=True) from None
        except HttpClientError as error:
            raise _AttemptError(str(error), retry=True) from None
        except ValueError as error:  # a URL or header that cannot be sent
            raise _AttemptError(str(error), retry=False) from None
        if 200 <= status < 300:
            return
        raise _AttemptError(f"HTTP {status}", retry=status == 429 or status >= 500)

    async def _max_attempts(self, item: OutboxItem) -> int:
        account = await self._account(item.account_id)
        try:
            shape = format_named(self.formats, account.callback_format if account else None)
        except ValueError:
            shape = None
        if shape is not None and shape.max_attempts is not None:
            return shape.max_attempts
        return self.config.max_attempts

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


def deny_list(config: CallbackConfig) -> DenyList:
    return DenyList(PRIVATE_NETWORKS if config.deny_networks is None else config.deny_networks)


def request_for(
    item: OutboxItem,
    account: Account | None,
    formats: Mapping[str, CallbackFormat] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST for `item` in the account's callback format, signed
    with the account's secret."""
    scheme = scheme_named(account.signature if account else None)
    headers = {"X-Smsgate-Event": item.event, "X-Smsgate-Delivery": item.id}
    shape = format_named(formats or {}, account.callback_format if account else None)
    values = shape.values(item) if shape is not None else native_values(item)
    params: dict[str, str] | None = None
    if (shape.body if shape is not None and shape.body else scheme.body) == "form":
        params = {name: _form_value(value) for name, value in values.items() if value is not None}
        content = urlencode(params).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        content = orjson.dumps(values)
        headers["Content-Type"] = "application/json"
    if account and account.webhook_secret:
        # a form scheme signs the form's fields; any other, the body's bytes
        fields = params if scheme.body == "form" else None
        signed = sign(account.webhook_secret, item.url or "", scheme, params=fields, body=content)
        headers[scheme.header] = signed
    return content, headers


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
